package platform

import (
	"fmt"
	"os"
	"path/filepath"
)

// PrivateFileMode is the mode for secrets such as signing keys. On Unix they
// are written 0600 (owner read and write only); on Windows file modes are
// ignored apart from the read-only bit, and access follows the ACLs inherited
// from the parent folder, so keep secrets in a folder only the service can read.
const PrivateFileMode os.FileMode = 0o600

// WriteFileAtomic replaces the file at path with data, so that readers and a
// crash see either the old content or the new, never a mix. It writes a temp
// file in the same directory, flushes it, sets perm (exactly, ignoring the
// umask), renames it over path and flushes the directory. On error the temp
// file is removed and, unless the final directory flush failed, the old file
// is untouched.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s atomically: create temp: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := writeAndSync(f, data); err != nil {
		return fmt.Errorf("write %s atomically: %w", path, err)
	}
	if err := os.Chmod(tmp, perm); err != nil {
		return fmt.Errorf("write %s atomically: chmod: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s atomically: rename: %w", path, err)
	}
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("write %s atomically: %w", path, err)
	}
	return nil
}

// writeAndSync writes data to f, flushes it to stable storage and closes it.
func writeAndSync(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}
