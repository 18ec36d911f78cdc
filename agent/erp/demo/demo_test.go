package demo_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// storySet is the installed set of the demo story.
var storySet = map[string]string{"core": "2.50.20", "arp": "1.3.0", "localization-es": "1.2.0", "reports": "0.9.0"}

func archive(t *testing.T, name, version string) []byte {
	t.Helper()
	data, err := sample.ArchiveOf(name, version)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// instance creates the demo story's instance and returns its folder.
func instance(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var archives [][]byte
	for name, v := range storySet {
		archives = append(archives, archive(t, name, v))
	}
	if err := demoerp.NewInstance(dir, archives); err != nil {
		t.Fatal(err)
	}
	return dir
}

func reader(t *testing.T, dir string) *demo.Reader {
	t.Helper()
	r, err := demo.New(demo.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConformance(t *testing.T) {
	erptest.Run(t, func(t *testing.T) erptest.Fixture {
		return erptest.Fixture{
			Reader: reader(t, instance(t)),
			Want:   storySet,
			Broken: func(t *testing.T) erp.Reader { return reader(t, t.TempDir()) },
		}
	})
}

func TestInstalledReadsFoldersAndDatabase(t *testing.T) {
	dir := instance(t)
	if err := os.RemoveAll(demoerp.ModuleDir(dir, "core")); err != nil {
		t.Fatal(err)
	}
	if _, err := demoerp.AddModule(dir, archive(t, "core", "2.50.22")); err != nil {
		t.Fatal(err)
	}
	mods, err := reader(t, dir).Installed(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	core, err := erp.Core(mods)
	if err != nil {
		t.Fatal(err)
	}
	if core.Name != "core" || core.Version.String() != "2.50.22" || core.DBVersion.String() != "2.50.20" {
		t.Errorf("core = %s code %s db %s, want code 2.50.22, db 2.50.20", core.Name, core.Version, core.DBVersion)
	}
	if core.Dir != filepath.Join(dir, "addons", "core") {
		t.Errorf("core.Dir = %s", core.Dir)
	}
	for _, m := range mods {
		if m.Name == "arp" && (!slices.Equal(m.Depends, []string{"core"}) || m.Core) {
			t.Errorf("arp = %+v, want a non-core module depending on core", m)
		}
	}
}

func TestInstalledSkipsDisabledModules(t *testing.T) {
	dir := instance(t)
	if err := demoerp.Update(t.Context(), dir, demoerp.UpdateOptions{Disable: []string{"reports"}}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(demoerp.ModuleDir(dir, "reports")); err != nil {
		t.Fatal(err)
	}
	mods, err := reader(t, dir).Installed(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		if m.Name == "reports" {
			t.Errorf("the disabled module reports is listed as installed")
		}
	}
}

func TestErrorsNameWhatIsWrong(t *testing.T) {
	t.Run("missing database", func(t *testing.T) {
		dir := t.TempDir()
		_, err := reader(t, dir).Installed(t.Context())
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "erp.sqlite")) || !strings.Contains(err.Error(), "demo-erp init") {
			t.Errorf("Installed without a database: %v, want the path and demo-erp init named", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "erp.sqlite")); !os.IsNotExist(err) {
			t.Errorf("Installed created the database: %v", err)
		}
	})
	t.Run("missing module folder", func(t *testing.T) {
		dir := instance(t)
		folder := demoerp.ModuleDir(dir, "arp")
		if err := os.RemoveAll(folder); err != nil {
			t.Fatal(err)
		}
		_, err := reader(t, dir).Installed(t.Context())
		if err == nil || !strings.Contains(err.Error(), "module arp") || !strings.Contains(err.Error(), folder) {
			t.Errorf("Installed with arp's folder gone: %v, want arp and its folder named", err)
		}
	})
	t.Run("invalid manifest", func(t *testing.T) {
		dir := instance(t)
		manifest := filepath.Join(demoerp.ModuleDir(dir, "reports"), "upkeep.toml")
		if err := os.WriteFile(manifest, []byte("name = \"reports\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := reader(t, dir).Installed(t.Context())
		if err == nil || !strings.Contains(err.Error(), "module reports") || !strings.Contains(err.Error(), manifest) {
			t.Errorf("Installed with a bad manifest: %v, want reports and the manifest named", err)
		}
	})
	t.Run("not a database", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "erp.sqlite"), []byte("not sqlite at all, just text"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := reader(t, dir).Installed(t.Context()); err == nil {
			t.Error("Installed on a text file succeeded")
		}
	})
	t.Run("no folder configured", func(t *testing.T) {
		if _, err := demo.New(demo.Config{}); err == nil {
			t.Error("New without a folder succeeded")
		}
	})
}

func TestKind(t *testing.T) {
	if k := reader(t, t.TempDir()).Kind(); k != "demo" {
		t.Errorf("Kind = %q", k)
	}
}
