package platform

import (
	"errors"
	"fmt"
	"net"
	"os/user"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PeerCredentials returns who is at the other end of a local API
// connection: SO_PEERCRED's pid, uid and gid, and the supplementary groups
// from SO_PEERGROUPS (the user database's when the kernel lacks it), all as
// they were when the peer connected.
func PeerCredentials(c net.Conn) (Peer, error) {
	raw, err := rawConn(c)
	if err != nil {
		return Peer{}, err
	}
	var cred *unix.Ucred
	var groups []uint32
	var opErr error
	err = raw.Control(func(fd uintptr) {
		cred, opErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if opErr == nil {
			groups, opErr = peerGroups(int(fd))
		}
	})
	if err == nil {
		err = opErr
	}
	if err != nil {
		return Peer{}, fmt.Errorf("getsockopt SO_PEERCRED: %w", err)
	}
	p := Peer{PID: int(cred.Pid), UID: strconv.FormatUint(uint64(cred.Uid), 10), Root: cred.Uid == 0}
	p.Groups = []string{strconv.FormatUint(uint64(cred.Gid), 10)}
	if groups == nil {
		return withUserGroups(p), nil
	}
	for _, g := range groups {
		if g != cred.Gid {
			p.Groups = append(p.Groups, strconv.FormatUint(uint64(g), 10))
		}
	}
	return p, nil
}

func rawConn(c net.Conn) (syscall.RawConn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("peer credentials: %T is not a unix socket connection", c)
	}
	return sc.SyscallConn()
}

// peerGroups reads SO_PEERGROUPS; nil (no error) when the kernel does not
// support it (before Linux 4.13).
func peerGroups(fd int) ([]uint32, error) {
	buf := make([]uint32, 64)
	for {
		size := uint32(len(buf) * 4)
		_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)), 0)
		switch {
		case errno == 0:
			return buf[:size/4], nil
		case errno == unix.ERANGE && int(size/4) > len(buf):
			buf = make([]uint32, size/4)
		case errors.Is(errno, unix.ENOPROTOOPT):
			return nil, nil
		default:
			return nil, fmt.Errorf("getsockopt SO_PEERGROUPS: %w", errno)
		}
	}
}

// withUserGroups adds the groups the user database gives the peer's user.
func withUserGroups(p Peer) Peer {
	u, err := user.LookupId(p.UID)
	if err != nil {
		return p
	}
	ids, err := u.GroupIds()
	if err != nil {
		return p
	}
	for _, g := range ids {
		if !p.InGroup(g) {
			p.Groups = append(p.Groups, g)
		}
	}
	return p
}
