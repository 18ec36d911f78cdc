//go:build unix && !linux

package platform

import "golang.org/x/sys/unix"

// SyncFilesystem flushes written files to stable storage; without Linux's
// syncfs it flushes every filesystem.
func SyncFilesystem(path string) error {
	unix.Sync()
	return nil
}
