package platform

import (
	"fmt"
	"net"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// PeerCredentials returns who is at the other end of a local API
// connection: LOCAL_PEERCRED's uid and groups and LOCAL_PEERPID's pid.
func PeerCredentials(c net.Conn) (Peer, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return Peer{}, fmt.Errorf("peer credentials: %T is not a unix socket connection", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var cred *unix.Xucred
	var pid int
	var opErr error
	err = raw.Control(func(fd uintptr) {
		cred, opErr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		if opErr == nil {
			pid, opErr = unix.GetsockoptInt(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERPID)
		}
	})
	if err == nil {
		err = opErr
	}
	if err != nil {
		return Peer{}, fmt.Errorf("getsockopt LOCAL_PEERCRED: %w", err)
	}
	p := Peer{PID: pid, UID: strconv.FormatUint(uint64(cred.Uid), 10), Root: cred.Uid == 0}
	for _, g := range cred.Groups[:cred.Ngroups] {
		p.Groups = append(p.Groups, strconv.FormatUint(uint64(g), 10))
	}
	return p, nil
}
