//go:build linux

package platform

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// CloneFile makes dst, which must not exist, a copy-on-write clone of the
// regular file src with mode perm (FICLONE: btrfs, XFS with reflink, bcachefs,
// OCFS2). It costs the same whatever the size: the two share their blocks
// until one is written. ErrCloneUnsupported (wrapped) when this filesystem
// cannot; then dst does not exist.
func CloneFile(src, dst string, perm os.FileMode) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("clone %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("clone %s: %w", src, err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("clone %s: close %s: %w", src, dst, cerr)
		}
		if err != nil {
			os.Remove(dst)
		}
	}()
	if err := unix.IoctlFileClone(int(out.Fd()), int(in.Fd())); err != nil {
		if cloneUnsupported(err) {
			return fmt.Errorf("%w: clone %s to %s: %w", ErrCloneUnsupported, src, dst, err)
		}
		return fmt.Errorf("clone %s to %s: %w", src, dst, err)
	}
	return out.Chmod(perm) // the umask narrowed the create
}

// cloneUnsupported says the ioctl failed because reflinks are not possible
// here, not because of the files.
func cloneUnsupported(err error) bool {
	for _, e := range []error{unix.EOPNOTSUPP, unix.EXDEV, unix.EINVAL, unix.ENOTTY, unix.ENOSYS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
