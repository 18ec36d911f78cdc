//go:build unix

package dbcopy_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/internal/cowfs"
)

// sampleTree writes a small filestore-like tree under dir/src: nested
// folders with their own modes, files, a symbolic link, a file owned by
// another user when run as root; every time set in the past.
func sampleTree(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "src")
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 3 {
		sub := filepath.Join(src, fmt.Sprintf("%02x", i))
		if err := os.MkdirAll(sub, 0o750); err != nil {
			t.Fatal(err)
		}
		for j := range 5 {
			f := filepath.Join(sub, fmt.Sprintf("%040x", i*10+j))
			if err := os.WriteFile(f, []byte(strings.Repeat(f, 100)), 0o640); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(f, old, old)
		}
		os.Chtimes(sub, old, old)
	}
	if err := os.Symlink("00", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(filepath.Join(src, "01"), 1234, 5678); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(src, 0o711)
	os.Chtimes(src, old, old)
	return src
}

// sameTree fails t unless dst has src's names, kinds, bytes, modes,
// owners and (files and folders) times.
func sameTree(t *testing.T, src, dst string) {
	t.Helper()
	n := 0
	err := filepath.Walk(src, func(p string, a os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		n++
		rel, _ := filepath.Rel(src, p)
		b, err := os.Lstat(filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		if a.Mode() != b.Mode() {
			t.Errorf("%s: mode %v, want %v", rel, b.Mode(), a.Mode())
		}
		sa, sb := a.Sys().(*syscall.Stat_t), b.Sys().(*syscall.Stat_t)
		if sa.Uid != sb.Uid || sa.Gid != sb.Gid {
			t.Errorf("%s: owner %d:%d, want %d:%d", rel, sb.Uid, sb.Gid, sa.Uid, sa.Gid)
		}
		if a.Mode()&os.ModeSymlink == 0 && !a.ModTime().Equal(b.ModTime()) {
			t.Errorf("%s: time %v, want %v", rel, b.ModTime(), a.ModTime())
		}
		if a.Mode().IsRegular() {
			x, _ := os.ReadFile(p)
			y, _ := os.ReadFile(filepath.Join(dst, rel))
			if string(x) != string(y) {
				t.Errorf("%s: content differs", rel)
			}
		}
		return nil
	})
	if err != nil || n < 20 {
		t.Fatalf("compare the trees: %v (%d entries)", err, n)
	}
}

func TestCopyTreeCopiesOrLinks(t *testing.T) {
	src := sampleTree(t, t.TempDir())
	for _, links := range []bool{false, true} {
		t.Run(fmt.Sprintf("hardlinks=%v", links), func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "copy")
			st, err := dbcopy.CopyTree(context.Background(), src, dst, dbcopy.TreeOptions{HardLinks: links, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("CopyTree: %s", st)
			sameTree(t, src, dst)
			if st.Files() != 15 || st.Symlinks != 1 || st.Dirs != 4 {
				t.Errorf("stats %+v: want 15 files, 1 link, 4 folders", st)
			}
			if links && st.Linked+st.Cloned != 15 || !links && st.Linked != 0 {
				t.Errorf("stats %+v with hard links %v", st, links)
			}
		})
	}
}

func TestCopyTreeClonesOnBtrfs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the test filesystem is a Linux loop mount")
	}
	dir := cowfs.Dir(t, 256<<20)
	src := sampleTree(t, dir)
	dst := filepath.Join(dir, "copy")
	st, err := dbcopy.CopyTree(context.Background(), src, dst, dbcopy.TreeOptions{HardLinks: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Cloned != 15 || st.Linked+st.Copied != 0 {
		t.Errorf("on btrfs: %s; want every file cloned", st)
	}
	sameTree(t, src, dst)
}

func TestCopyTreeRefuses(t *testing.T) {
	dir := t.TempDir()
	src := sampleTree(t, dir)
	if _, err := dbcopy.CopyTree(context.Background(), src, src, dbcopy.TreeOptions{}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("CopyTree onto an existing folder = %v", err)
	}
	sock := filepath.Join(src, "01", "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix socket here: %v", err)
	}
	defer ln.Close()
	dst := filepath.Join(dir, "copy")
	_, err = dbcopy.CopyTree(context.Background(), src, dst, dbcopy.TreeOptions{})
	if err == nil || !strings.Contains(err.Error(), "cannot be copied") {
		t.Errorf("CopyTree of a tree with a socket = %v, want a refusal", err)
	}
	if _, err := os.Lstat(dst); !os.IsNotExist(err) {
		t.Errorf("a failed CopyTree left %s", dst)
	}
}
