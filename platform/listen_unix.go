//go:build unix

package platform

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// ListenLocal listens for the local API at path: a unix socket with mode
// 0660 owned by group (a name or a number; empty keeps the creating
// process's group), in a folder created 0755 when missing. A stale socket
// left by a crashed agent is replaced; one that still answers is an error.
// Closing the listener removes the socket.
//
// Who may do what is decided by the peer's credentials, not by the mode:
// the mode only narrows who can connect, so the moment between bind and
// chmod (when the umask applies) grants nothing.
func ListenLocal(path, group string) (net.Listener, error) {
	gid := -1
	if group != "" {
		g, err := lookupGID(group)
		if err != nil {
			return nil, err
		}
		gid = g
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create the socket's folder: %w", err)
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	if gid >= 0 {
		if err := os.Chown(path, -1, gid); err != nil {
			l.Close()
			return nil, fmt.Errorf("chown %s to group %s: %w", path, group, err)
		}
	}
	return l, nil
}

// DialLocal connects to the local API at path.
func DialLocal(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}

func lookupGID(group string) (int, error) {
	if n, err := strconv.Atoi(group); err == nil && n >= 0 {
		return n, nil
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return -1, fmt.Errorf("group %q: %w (create it with groupadd, or name an existing group)", group, err)
	}
	return strconv.Atoi(g.Gid)
}

// removeStaleSocket removes a socket at path that nobody answers on.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket: move it away or choose another socket path", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c, err := DialLocal(ctx, path); err == nil {
		c.Close()
		return fmt.Errorf("another agent is serving on %s: stop it first (upkeep service stop)", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove the stale socket %s: %w", path, err)
	}
	return nil
}
