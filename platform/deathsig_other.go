//go:build unix && !linux

package platform

import "syscall"

// dieWithParent does nothing where the OS has no parent-death signal; the
// runner's recovery kills the journaled process group instead.
func dieWithParent(*syscall.SysProcAttr) {}
