package platform

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked says another process holds the lock.
var ErrLocked = errors.New("held by another process")

// LockFile takes an exclusive, non-blocking lock on path (created when
// missing) that the OS releases when the process dies. It returns ErrLocked
// when another process holds it; unlock releases it.
func LockFile(path string) (unlock func() error, err error) {
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	return locked(l, ok, err)
}

// LockFileWait is LockFile that tries again every retry until ctx ends.
func LockFileWait(ctx context.Context, path string, retry time.Duration) (unlock func() error, err error) {
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLockContext(ctx, retry)
	return locked(l, ok, err)
}

func locked(l *flock.Flock, ok bool, err error) (func() error, error) {
	switch {
	case err != nil:
		return nil, fmt.Errorf("lock %s: %w", l.Path(), err)
	case !ok:
		return nil, fmt.Errorf("lock %s: %w", l.Path(), ErrLocked)
	}
	return l.Unlock, nil
}
