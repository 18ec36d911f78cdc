//go:build unix

package platform

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// OpenRegular opens path for reading only when it is a regular file (a
// symlink to one is fine). It never blocks: a FIFO is opened without
// waiting for a writer and refused, as are devices, sockets and folders;
// the error then matches ErrNotRegular.
func OpenRegular(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is a %s, not a regular file: %w", path, kindOfMode(st.Mode()), ErrNotRegular)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return f, nil
}
