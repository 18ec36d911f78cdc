package platform

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSyncFilesystem(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SyncFilesystem(dir); err != nil {
		t.Errorf("SyncFilesystem(%s) = %v, want nil", dir, err)
	}
}
