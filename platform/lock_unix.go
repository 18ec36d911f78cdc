//go:build unix

package platform

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrLocked says another process holds the lock.
var ErrLocked = errors.New("held by another process")

// LockFile takes an exclusive, non-blocking lock on path (created when
// missing) that the OS releases when the process dies. It returns ErrLocked
// when another process holds it; unlock releases it.
func LockFile(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	return f.Close, nil
}
