//go:build unix

package platform

import (
	"os"
	"syscall"
)

// ReloadSignals are the signals that ask a running service to read its
// configuration again: SIGHUP, as for most Unix daemons.
func ReloadSignals() []os.Signal { return []os.Signal{syscall.SIGHUP} }
