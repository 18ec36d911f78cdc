//go:build !linux && !darwin && !windows

package platform

import (
	"fmt"
	"net"
	"runtime"
)

// PeerCredentials is not implemented on this operating system, so every
// caller of the local API is refused.
func PeerCredentials(net.Conn) (Peer, error) {
	return Peer{}, fmt.Errorf("peer credentials are not implemented on %s: run the agent on Linux, macOS or Windows", runtime.GOOS)
}
