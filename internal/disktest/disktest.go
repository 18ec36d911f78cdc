// Package disktest gives tests a real small filesystem to fill up: a tmpfs.
package disktest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of size (e.g. "8m") on a new temporary folder and
// unmounts it when the test ends; it skips the test when it cannot mount
// one (not root, or a container that forbids it).
func Mount(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the full-disk tests mount a tmpfs, which needs root: run them as root (CI does)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s tmpfs on %s even as root (%v: %s): the full-disk tests need one", size, dir, err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount -l %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Fill writes the file dir/filler until its filesystem is full, then frees
// spare bytes of it, and returns its path; removing it frees the room.
func Fill(t testing.TB, dir string, spare int64) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	var size int64
	for {
		n, err := f.Write(chunk)
		size += int64(n)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	if err := f.Truncate(max(size-spare, 0)); err != nil {
		t.Fatalf("free %d bytes of %s: %v", spare, path, err)
	}
	return path
}
