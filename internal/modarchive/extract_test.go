package modarchive

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	data, err := sample.Zip(files)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// files lists every file under root, as slash paths relative to it.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExtractWritesTheModulesFiles: the manifest comes back, every file is
// written (mode at most 0644), and an existing folder is refused.
func TestExtractWritesTheModulesFiles(t *testing.T) {
	data, err := sample.ArchiveOf("core", "2.50.22")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "core")
	m, err := Extract(dst, data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "core" || m.Version.String() != "2.50.22" {
		t.Errorf("manifest = %s %s", m.Name, m.Version)
	}
	want := "migrations/2.50.22/post.sql migrations/2.50.22/pre.sql schema.sql upkeep.toml"
	if got := strings.Join(files(t, dst), " "); got != want {
		t.Errorf("files = %s\nwant    %s", got, want)
	}
	if st, err := os.Stat(filepath.Join(dst, "schema.sql")); err != nil || runtime.GOOS != "windows" && st.Mode().Perm()&^0o644 != 0 {
		t.Errorf("schema.sql: %v, %v; want mode at most 0644", st.Mode(), err)
	}
	if _, err := Extract(dst, data); err == nil {
		t.Error("Extract into an existing folder succeeded")
	}
}

// TestExtractRefusesHostileArchivesWritingNothing: an archive that
// climbs out, is absolute, lacks its manifest or is no zip leaves nothing.
func TestExtractRefusesHostileArchivesWritingNothing(t *testing.T) {
	manifest := "name = \"evil\"\nversion = \"1.0.0\"\n"
	for name, data := range map[string][]byte{
		"dot-dot":     zipOf(t, map[string]string{"upkeep.toml": manifest, "../escaped.sql": "x"}),
		"absolute":    zipOf(t, map[string]string{"upkeep.toml": manifest, "/tmp/escaped.sql": "x"}),
		"no manifest": zipOf(t, map[string]string{"schema.sql": "x"}),
		"not a zip":   []byte("PK but not really"),
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			if _, err := Extract(filepath.Join(parent, "module"), data); err == nil {
				t.Fatal("Extract accepted a hostile archive")
			}
			if got := files(t, parent); len(got) != 0 {
				t.Errorf("files written: %v", got)
			}
		})
	}
}

// The os.Root is a second line of defence: even an archive listing that
// escapes (one catalog.ReadArchive would have refused) writes nothing outside.
func TestWriteFilesStaysInsideRoot(t *testing.T) {
	parent := t.TempDir()
	dst := filepath.Join(parent, "module")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	data := zipOf(t, map[string]string{"../outside.sql": "x"})
	a := &catalog.Archive{Files: []catalog.ArchiveFile{{Name: "../outside.sql", Size: 1}}}
	if err := writeFiles(dst, data, a); err == nil {
		t.Fatal("writeFiles wrote an entry that climbs out of its folder")
	}
	if got := files(t, parent); len(got) != 0 {
		t.Errorf("files written: %v", got)
	}
}
