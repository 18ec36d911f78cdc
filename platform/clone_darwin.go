//go:build darwin

package platform

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// CloneFile makes dst, which must not exist, a copy-on-write clone of the
// regular file src with mode perm (clonefile(2) on APFS). ErrCloneUnsupported
// (wrapped) when this filesystem cannot; then dst does not exist.
func CloneFile(src, dst string, perm os.FileMode) error {
	if err := unix.Clonefile(src, dst, unix.CLONE_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EXDEV) {
			return fmt.Errorf("%w: clone %s to %s: %w", ErrCloneUnsupported, src, dst, err)
		}
		return fmt.Errorf("clone %s to %s: %w", src, dst, err)
	}
	if err := os.Chmod(dst, perm); err != nil {
		os.Remove(dst)
		return fmt.Errorf("clone %s: %w", src, err)
	}
	return nil
}
