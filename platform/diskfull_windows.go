//go:build windows

package platform

import (
	"errors"
	"syscall"
)

// Windows error codes for a full disk.
const (
	errorHandleDiskFull syscall.Errno = 39
	errorDiskFull       syscall.Errno = 112
)

// IsDiskFull reports whether err says the volume has no room left.
func IsDiskFull(err error) bool {
	return errors.Is(err, errorHandleDiskFull) || errors.Is(err, errorDiskFull)
}
