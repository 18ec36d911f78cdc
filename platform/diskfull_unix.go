//go:build unix

package platform

import (
	"errors"
	"syscall"
)

// IsDiskFull reports whether err says the filesystem has no room left.
func IsDiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
