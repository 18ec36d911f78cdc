package platform_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/upkeep-erp/upkeep/internal/cowfs"
	"github.com/upkeep-erp/upkeep/platform"
)

func TestCloneFileOnBtrfs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the test filesystem is a Linux loop mount")
	}
	dir := cowfs.Dir(t, 256<<20)
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	data := bytes.Repeat([]byte("upkeep "), 1<<16)
	if err := os.WriteFile(src, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := platform.CloneFile(src, dst, 0o640); err != nil {
		t.Fatalf("CloneFile on btrfs: %v", err)
	}
	if err := os.WriteFile(src, []byte("changed"), 0o640); err != nil { // copy on write: the clone keeps its bytes
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the clone reads %d bytes (%v), want the %d bytes the source had", len(got), err, len(data))
	}
	if st, err := os.Stat(dst); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("the clone's mode is %v (%v), want 0640", st.Mode(), err)
	}
	if err := platform.CloneFile(src, dst, 0o640); err == nil || errors.Is(err, platform.ErrCloneUnsupported) {
		t.Errorf("CloneFile onto an existing file = %v; want an error other than unsupported", err)
	}
}

func TestCloneFileUnsupportedLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(src, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := platform.CloneFile(src, dst, 0o600)
	if err == nil {
		t.Skip("the temporary folder's filesystem clones files; nothing to check here")
	}
	if !errors.Is(err, platform.ErrCloneUnsupported) {
		t.Fatalf("CloneFile on a filesystem without reflinks = %v; want ErrCloneUnsupported", err)
	}
	if _, err := os.Lstat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused clone left %s (%v)", dst, err)
	}
}
