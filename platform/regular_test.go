//go:build unix

package platform

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenRegularRefusesFIFOWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRegular(fifo); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("OpenRegular(FIFO) = %v, want ErrNotRegular", err)
	}
	if _, err := OpenRegular(dir); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("OpenRegular(folder) = %v, want ErrNotRegular", err)
	}
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("ok"), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(file, link)
	f, err := OpenRegular(link)
	if err != nil {
		t.Fatalf("OpenRegular(symlink to a file) = %v", err)
	}
	defer f.Close()
	buf := make([]byte, 8)
	if n, _ := f.Read(buf); string(buf[:n]) != "ok" {
		t.Fatalf("read %q", buf[:n])
	}
}
