package platform

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWriteFileAtomicCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.toml")
	for _, content := range []string{"first", "second, longer than the first", "3"} {
		if err := WriteFileAtomic(path, []byte(content), 0o644); err != nil {
			t.Fatalf("WriteFileAtomic(%q): %v", content, err)
		}
		if got := readFile(t, path); got != content {
			t.Fatalf("content = %q, want %q", got, content)
		}
		assertOnlyFiles(t, dir, "settings.toml")
	}
}

func TestWriteFileAtomicAppliesPerm(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows ignores Unix file modes")
	}
	dir := t.TempDir()
	for _, perm := range []os.FileMode{PrivateFileMode, 0o640, 0o755} {
		path := filepath.Join(dir, "key")
		if err := WriteFileAtomic(path, []byte("secret"), perm); err != nil {
			t.Fatalf("WriteFileAtomic(perm %v): %v", perm, err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != perm {
			t.Errorf("perm = %v, want %v", got, perm)
		}
	}
}

func TestWriteFileAtomicReadOnlyDirKeepsOldContent(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no read-only directories in the Unix sense")
	}
	if os.Geteuid() == 0 {
		t.Skip("running as root: root bypasses directory permissions, so a read-only directory cannot make the write fail")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "index.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })

	err := WriteFileAtomic(path, []byte("new"), 0o644)
	if err == nil {
		t.Fatal("WriteFileAtomic into a read-only directory succeeded, want an error")
	}
	assertNamesPath(t, err, path)
	if got := readFile(t, path); got != "old" {
		t.Errorf("content after failed write = %q, want the old %q", got, "old")
	}
	assertOnlyFiles(t, dir, "index.json")
}

// TestWriteFileAtomicRenameFailureRemovesTemp fails at the rename, after the
// temp file exists, by targeting a non-empty directory; it works as root too.
func TestWriteFileAtomicRenameFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "occupied")
	if err := os.MkdirAll(filepath.Join(path, "child"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(path, []byte("data"), 0o644)
	if err == nil {
		t.Fatal("WriteFileAtomic over a non-empty directory succeeded, want an error")
	}
	assertNamesPath(t, err, path)
	assertOnlyFiles(t, dir, "occupied")
}

func TestWriteFileAtomicMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent", "file")
	err := WriteFileAtomic(path, []byte("data"), 0o644)
	if err == nil {
		t.Fatal("WriteFileAtomic into a missing directory succeeded, want an error")
	}
	assertNamesPath(t, err, path)
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Errorf("SyncDir(existing dir) = %v, want nil", err)
	}
	if runtime.GOOS == "windows" {
		return
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("SyncDir(missing dir) = nil, want an error")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertOnlyFiles fails unless dir holds exactly the named entries, so a
// leftover temp file shows up.
func assertOnlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("directory holds %q, want only %q", got, want)
	}
}

func assertNamesPath(t *testing.T, err error, path string) {
	t.Helper()
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path %s", err, path)
	}
}
