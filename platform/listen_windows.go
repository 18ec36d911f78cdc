package platform

import (
	"context"
	"fmt"
	"net"
	"os/user"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// DefaultLocalPath is where the agent's local API listens unless the
// configuration says otherwise.
func DefaultLocalPath() string { return `\\.\pipe\upkeep` }

// ListenLocal listens for the local API on the named pipe path. LocalSystem
// and the Administrators may connect, and so may the members of group when
// it is not empty (the counterpart of a unix socket's 0660 and group).
func ListenLocal(path, group string) (net.Listener, error) {
	sddl := "D:P(A;;GA;;;SY)(A;;GA;;;BA)"
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w (create it, or name an existing group)", group, err)
		}
		sddl += "(A;;GRGW;;;" + g.Gid + ")"
	}
	l, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: sddl})
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another agent running?)", path, err)
	}
	return l, nil
}

// DialLocal connects to the local API's named pipe, letting the agent
// identify (not impersonate) the caller.
func DialLocal(ctx context.Context, path string) (net.Conn, error) {
	return winio.DialPipeAccessImpLevel(ctx, path, windows.GENERIC_READ|windows.GENERIC_WRITE, winio.PipeImpLevelIdentification)
}
