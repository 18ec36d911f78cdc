package repo_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/upkeep-erp/upkeep/internal/disktest"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// TestPublishOnFullDiskLeavesStateUnchanged publishes onto a real, full
// filesystem: the publish fails saying so, nothing published changes, no
// temp file is left, and the same archive publishes once space is freed.
func TestPublishOnFullDiskLeavesStateUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int // incompressible bytes in the archive; 64 KiB stay free
	}{
		{"archive larger than the free space", 512 << 10},
		{"archive fits but its signed metadata does not", 8 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) { testFullDisk(t, tc.size) })
	}
}

func testFullDisk(t *testing.T, size int) {
	mnt := disktest.Mount(t, "4m")
	dir := filepath.Join(mnt, "cr")
	if _, err := repo.Init(dir, repo.InitOptions{}); err != nil {
		t.Fatalf("Init on tmpfs: %v", err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	admin := repo.LocalActor("disk-test")
	for _, m := range sample.Catalog()[:5] { // core 2.50.20 … 3.0.0, arp 1.3.0
		diskPublish(t, s, m, admin)
	}
	big := bigArchive(t, size)
	before := diskFingerprint(t, s)

	filler := disktest.Fill(t, mnt, 64<<10)
	if free := freeBytes(t, mnt); free > 128<<10 {
		t.Fatalf("after filling, %d bytes are still free", free)
	}
	_, err = s.Publish(t.Context(), big, admin)
	if err == nil {
		t.Fatal("publish onto a full disk succeeded")
	}
	if msg := strings.ToLower(err.Error()); !errors.Is(err, syscall.ENOSPC) && !strings.Contains(msg, "no space") && !strings.Contains(msg, "disk is full") {
		t.Errorf("publish error does not say the disk is full: %v", err)
	}
	if !strings.Contains(err.Error(), "free some space and try again") {
		t.Errorf("publish error does not say what to do: %v", err)
	}
	t.Logf("publish on a full disk: %v", err)
	if after := diskFingerprint(t, s); after != before {
		t.Errorf("published state changed by a failed publish:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if tmp := strayFiles(t, filepath.Join(s.PublicDir(), "archives")); len(tmp) > 0 {
		t.Errorf("temp files left in the archives directory: %v", tmp)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	pub, err := s.Publish(t.Context(), big, admin)
	if err != nil {
		t.Fatalf("publish after freeing space: %v", err)
	}
	sum := sha256.Sum256(big)
	if pub.Module != "bigmod" || pub.SHA256 != hex.EncodeToString(sum[:]) || strings.Join(pub.Repositories, ",") != "2.50,3.0" {
		t.Errorf("publish after freeing space = %+v, want bigmod in 2.50 and 3.0", pub)
	}
	stored, err := os.ReadFile(filepath.Join(s.PublicDir(), "archives", pub.SHA256+".zip"))
	if err != nil || !bytes.Equal(stored, big) {
		t.Errorf("stored archive: err %v, identical %v", err, bytes.Equal(stored, big))
	}
	if after := diskFingerprint(t, s); after == before {
		t.Error("fingerprint unchanged by a successful publish: the fingerprint sees nothing")
	}
}

// freeBytes is what dir's filesystem has free.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

func diskPublish(t *testing.T, s *repo.Store, m sample.Module, a repo.Actor) {
	t.Helper()
	data, err := m.Archive()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(t.Context(), data, a); err != nil {
		t.Fatalf("publish %s %s: %v", m.Name, m.Version, err)
	}
}

// bigArchive is a module archive carrying n incompressible bytes.
func bigArchive(t *testing.T, n int) []byte {
	t.Helper()
	m := sample.Module{Name: "bigmod", Version: "1.0.0", Summary: "a large module", Maturity: "beta",
		DefaultUpgrade: true, Depends: []string{"core>=2.50.0,<3.1"}}
	payload := make([]byte, n)
	rand.New(rand.NewSource(1)).Read(payload)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string][]byte{"upkeep.toml": []byte(m.Manifest()), "data/blob.bin": payload} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// diskFingerprint describes the published state: every exported file (the
// signed documents and archives, exported outside the tmpfs) with its hash,
// the module list, the audit log of what was done and the archives directory.
func diskFingerprint(t *testing.T, s *repo.Store) string {
	t.Helper()
	var b strings.Builder
	out := t.TempDir()
	if _, err := s.Export(t.Context(), out, repo.ExportOptions{}); err != nil {
		t.Fatalf("export: %v", err)
	}
	b.WriteString("export:\n" + hashTree(t, out))
	b.WriteString("archives dir:\n" + hashTree(t, filepath.Join(s.PublicDir(), "archives")))
	mods, err := s.List(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Log(t.Context(), repo.LogFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var done []repo.LogEntry // a failed attempt is audited; only what was done counts here
	for _, e := range all {
		if e.Result == repo.ResultOK {
			done = append(done, e)
		}
	}
	for _, v := range []any{mods, done} {
		data, _ := json.Marshal(v)
		fmt.Fprintf(&b, "%s\n", data)
	}
	return b.String()
}

// hashTree lists every file under dir, sorted, with its size and sha256.
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		lines = append(lines, fmt.Sprintf("  %s %d %x", filepath.ToSlash(rel), n, h.Sum(nil)[:8]))
		return nil
	})
	if err != nil {
		t.Fatalf("hash %s: %v", dir, err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// strayFiles lists the names in dir that are not content-named archives.
func strayFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if hexName, ok := strings.CutSuffix(name, ".zip"); !ok || len(hexName) != 64 || strings.HasPrefix(name, ".") {
			out = append(out, name)
		}
	}
	return out
}
