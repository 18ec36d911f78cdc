package sample

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

func TestEveryDemoArchiveIsValid(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Catalog() {
		data, err := m.Archive()
		if err != nil {
			t.Fatalf("%s %s: %v", m.Name, m.Version, err)
		}
		arc, err := catalog.ReadArchive(bytes.NewReader(data), int64(len(data)), catalog.DefaultArchiveLimits())
		if err != nil {
			t.Fatalf("%s %s does not validate: %v", m.Name, m.Version, err)
		}
		if arc.Manifest.Name != m.Name || arc.Manifest.Version.String() != m.Version {
			t.Errorf("manifest says %s %s, want %s %s", arc.Manifest.Name, arc.Manifest.Version, m.Name, m.Version)
		}
		if got := len(arc.Manifest.Scripts); got != len(m.Scripts) {
			t.Errorf("%s %s carries %d scripts, want %d", m.Name, m.Version, got, len(m.Scripts))
		}
		key := m.Name + " " + m.Version
		if seen[key] {
			t.Errorf("%s appears twice", key)
		}
		seen[key] = true
	}
	core300 := catalog.MustParseVersion("2.50.22")
	for _, m := range Catalog() {
		if m.Name == "core" && m.Version == "3.0.0" && m.UpgradeFrom != core300.String() {
			t.Errorf("core 3.0.0 must need 2.50.22 first, has upgrade_from %q", m.UpgradeFrom)
		}
	}
}

// TestZipHoldsTheFilesInNameOrderAsGiven: every file, its content, names
// sorted and unchanged (a hostile "../x" stays one).
func TestZipHoldsTheFilesInNameOrderAsGiven(t *testing.T) {
	data, err := Zip(map[string]string{"b.sql": "B", "../x": "X", "a/c.txt": "C"})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		got = append(got, f.Name+"="+string(body))
	}
	if want := "../x=X a/c.txt=C b.sql=B"; strings.Join(got, " ") != want {
		t.Errorf("zip holds %v, want %s", got, want)
	}
}
