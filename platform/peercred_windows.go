package platform

import (
	"fmt"
	"net"
	"runtime"

	"golang.org/x/sys/windows"
)

var procImpersonateNamedPipeClient = windows.NewLazySystemDLL("advapi32.dll").NewProc("ImpersonateNamedPipeClient")

// PeerCredentials returns who is at the other end of a local API
// connection, from the named pipe client's token: its user SID, its enabled
// group SIDs, and whether it is LocalSystem or an elevated administrator.
func PeerCredentials(c net.Conn) (Peer, error) {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return Peer{}, fmt.Errorf("peer credentials: %T is not a named pipe connection", c)
	}
	h := windows.Handle(f.Fd())
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(h, &pid); err != nil {
		return Peer{}, fmt.Errorf("GetNamedPipeClientProcessId: %w", err)
	}
	tok, err := clientToken(h)
	if err != nil {
		return Peer{}, err
	}
	defer tok.Close()
	p, err := peerOf(tok)
	p.PID = int(pid)
	return p, err
}

// clientToken impersonates the pipe's client just long enough to open its
// token; the thread is locked so that no other goroutine runs as the client.
func clientToken(h windows.Handle) (windows.Token, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if r, _, err := procImpersonateNamedPipeClient.Call(uintptr(h)); r == 0 {
		return 0, fmt.Errorf("ImpersonateNamedPipeClient: %w", err)
	}
	var tok windows.Token
	err := windows.OpenThreadToken(windows.CurrentThread(), windows.TOKEN_QUERY, true, &tok)
	if rerr := windows.RevertToSelf(); rerr != nil {
		panic("RevertToSelf failed; this thread must not run on as the client: " + rerr.Error())
	}
	if err != nil {
		return 0, fmt.Errorf("OpenThreadToken (the client may have connected anonymously; use upkeep's client): %w", err)
	}
	return tok, nil
}

func peerOf(tok windows.Token) (Peer, error) {
	u, err := tok.GetTokenUser()
	if err != nil {
		return Peer{}, fmt.Errorf("GetTokenUser: %w", err)
	}
	p := Peer{UID: u.User.Sid.String()}
	system, err := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	if err != nil {
		return Peer{}, fmt.Errorf("CreateWellKnownSid: %w", err)
	}
	p.Root = u.User.Sid.Equals(system) || tok.IsElevated()
	groups, err := tok.GetTokenGroups()
	if err != nil {
		return Peer{}, fmt.Errorf("GetTokenGroups: %w", err)
	}
	for _, g := range groups.AllGroups() {
		if g.Attributes&windows.SE_GROUP_ENABLED != 0 {
			p.Groups = append(p.Groups, g.Sid.String())
		}
	}
	return p, nil
}
