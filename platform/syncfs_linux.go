//go:build linux

package platform

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// SyncFilesystem flushes every written file of the filesystem holding path,
// so a bulk write of many files costs one flush instead of one per file.
func SyncFilesystem(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("syncfs %s: %w", path, err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", path, err)
	}
	return nil
}
