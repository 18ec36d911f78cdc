package demoerp

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/repo/sample"
)

// sampleArchive returns the archive of the demo catalog's name at version.
func sampleArchive(t *testing.T, name, version string) []byte {
	t.Helper()
	data, err := sample.ArchiveOf(name, version)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// zipOf builds a zip with the given name → content entries.
func zipOf(t *testing.T, entries ...[2]string) []byte {
	t.Helper()
	files := map[string]string{}
	for _, e := range entries {
		files[e[0]] = e[1]
	}
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

func TestAddModuleLandsInsideItsFolder(t *testing.T) {
	dir := t.TempDir()
	m, err := AddModule(dir, sampleArchive(t, "core", "2.50.22"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "core" || m.Version.String() != "2.50.22" {
		t.Errorf("manifest = %s %s", m.Name, m.Version)
	}
	want := "addons/core/migrations/2.50.22/post.sql addons/core/migrations/2.50.22/pre.sql addons/core/schema.sql addons/core/upkeep.toml"
	if got := strings.Join(files(t, dir), " "); got != want {
		t.Errorf("files = %s\nwant    %s", got, want)
	}
	st, err := os.Stat(filepath.Join(dir, "addons/core/schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&^0o644 != 0 {
		t.Errorf("schema.sql mode = %v, want at most 0644", st.Mode().Perm())
	}
	if _, err := AddModule(dir, sampleArchive(t, "core", "2.50.20")); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("adding core again: %v, want a refusal", err)
	}
	if got := strings.Join(files(t, dir), " "); got != want {
		t.Errorf("after the refusal, files = %s", got)
	}
}

func TestAddModuleRejectsHostileArchives(t *testing.T) {
	manifest := [2]string{"upkeep.toml", "name = \"evil\"\nversion = \"1.0.0\"\n"}
	hostile := map[string][]byte{
		"dot-dot":      zipOf(t, manifest, [2]string{"../escaped.sql", "x"}),
		"absolute":     zipOf(t, manifest, [2]string{"/tmp/escaped.sql", "x"}),
		"backslash":    zipOf(t, manifest, [2]string{`..\escaped.sql`, "x"}),
		"no manifest":  zipOf(t, [2]string{"schema.sql", "x"}),
		"not a zip":    []byte("PK but not really"),
		"bad manifest": zipOf(t, [2]string{"upkeep.toml", "name = \"Evil Name\"\nversion = \"1.0.0\"\n"}),
	}
	for name, data := range hostile {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "instance")
			if _, err := AddModule(dir, data); err == nil {
				t.Fatal("AddModule accepted a hostile archive")
			}
			if got := files(t, parent); len(got) != 0 {
				t.Errorf("files written: %v", got)
			}
		})
	}
}

func TestNewInstanceInstallsEverything(t *testing.T) {
	dir := t.TempDir()
	err := NewInstance(dir, [][]byte{
		sampleArchive(t, "reports", "0.9.0"), sampleArchive(t, "core", "2.50.20"), sampleArchive(t, "arp", "1.3.0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := Check(t.Context(), dir)
	if h.Status != HealthOK || h.Modules != 3 || h.Version != "2.50.20" {
		t.Errorf("health = %+v, want ok, 3 modules, core 2.50.20", h)
	}
}

func TestInitWithoutCoreLeavesNoDatabase(t *testing.T) {
	dir := t.TempDir()
	if _, err := AddModule(dir, sampleArchive(t, "arp", "1.3.0")); err != nil {
		t.Fatal(err)
	}
	err := Init(t.Context(), dir, InitOptions{})
	if err == nil || !strings.Contains(err.Error(), "no core module") {
		t.Fatalf("Init without core: %v", err)
	}
	if _, err := os.Stat(DBPath(dir)); !os.IsNotExist(err) {
		t.Errorf("a database was left behind: %v", err)
	}
}
