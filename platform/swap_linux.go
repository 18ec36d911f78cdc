//go:build linux

package platform

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Exchange atomically swaps the directory entries a and b (folders or
// symlinks, on one filesystem): at every instant each name points at one of
// the two, never at nothing. When b does not exist, a is renamed to b.
func Exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOENT) {
		if _, serr := os.Lstat(b); errors.Is(serr, os.ErrNotExist) {
			return os.Rename(a, b)
		}
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return exchangeByRenames(a, b) // a filesystem without RENAME_EXCHANGE
	}
	if err != nil {
		return fmt.Errorf("renameat2 %s ⇄ %s: %w", a, b, err)
	}
	return nil
}
