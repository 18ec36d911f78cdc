package repo

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/repo/sample"
)

// clock is a controllable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestStore(t *testing.T) (*Store, *clock) { return newTestStoreB(t) }

func newTestStoreB(t testing.TB) (*Store, *clock) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	if _, err := Init(dir, InitOptions{BinBits: 4}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	c := &clock{t: time.Now()}
	s, err := Open(dir, Options{Now: c.now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}

var admin = LocalActor("test")

func publishSample(t testing.TB, s *Store) {
	t.Helper()
	for _, m := range sample.Catalog() {
		mustPublish(t, s, m)
	}
}

func mustPublish(t testing.TB, s *Store, m sample.Module) *Published {
	ctx := t.Context()
	t.Helper()
	data, err := m.Archive()
	if err != nil {
		t.Fatalf("archive %s %s: %v", m.Name, m.Version, err)
	}
	p, err := s.Publish(ctx, data, admin)
	if err != nil {
		t.Fatalf("publish %s %s: %v", m.Name, m.Version, err)
	}
	return p
}

func mod(name, version string, deps ...string) sample.Module {
	return sample.Module{Name: name, Version: version, Summary: name, DefaultUpgrade: true, Maturity: "beta", Depends: deps}
}

// placements returns "module version" -> repositories, from List.
func placements(t *testing.T, s *Store) map[string]string {
	ctx := t.Context()
	t.Helper()
	mods, err := s.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	out := map[string]string{}
	for _, m := range mods {
		for _, v := range m.Versions {
			out[m.Name+" "+v.Version] = strings.Join(v.Repositories, ",")
		}
	}
	return out
}

// fingerprint captures everything published: every signed document, the
// role and target tables, the versions and the archive files.
func fingerprint(t *testing.T, s *Store) string {
	t.Helper()
	var lines []string
	var rows []struct {
		Path string `db:"path"`
		ETag string `db:"etag"`
	}
	if err := s.db.Select(&rows, "SELECT path, etag FROM blobs ORDER BY path"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		lines = append(lines, "blob "+r.Path+" "+r.ETag)
	}
	for _, q := range []string{
		"SELECT repository || ' ' || role || ' ' || version FROM tuf_roles ORDER BY 1",
		"SELECT repository || ' ' || path || ' ' || sha256 FROM tuf_targets ORDER BY 1",
		"SELECT module || ' ' || version || ' ' || archive_sha256 FROM versions ORDER BY 1",
		"SELECT version_id || ' ' || repository FROM placements ORDER BY 1",
		"SELECT name || ' ' || default_upgrade FROM modules ORDER BY 1",
	} {
		var got []string
		if err := s.db.Select(&got, q); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, got...)
	}
	entries, _ := os.ReadDir(filepath.Join(s.PublicDir(), archivesDir))
	for _, e := range entries {
		lines = append(lines, "file "+e.Name())
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// zipOf builds an archive from name -> content.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readFileT(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
