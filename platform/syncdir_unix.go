//go:build unix

package platform

import (
	"fmt"
	"os"
)

// SyncDir flushes the directory dir to stable storage, so that a file created
// or renamed inside it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync dir %s: fsync: %w", dir, err)
	}
	if err := d.Close(); err != nil {
		return fmt.Errorf("sync dir %s: close: %w", dir, err)
	}
	return nil
}
