package demoerp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeModule writes a hand-made module folder: the real input tests use to
// inject failures (a failing schema.sql, an unmet dependency).
func writeModule(t *testing.T, dir, name, version, depends, schema string) {
	t.Helper()
	folder := ModuleDir(dir, name)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := fmt.Sprintf("name = %q\nversion = %q\nsummary = \"test module\"\n", name, version)
	if depends != "" {
		manifest += fmt.Sprintf("depends = [%q]\n", depends)
	}
	for file, body := range map[string]string{"upkeep.toml": manifest, SchemaFile: schema} {
		if err := os.WriteFile(filepath.Join(folder, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// storyInstance creates the demo story's instance: core 2.50.20, arp 1.3.0,
// localization-es 1.2.0, reports 0.9.0.
func storyInstance(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := NewInstance(dir, [][]byte{sampleArchive(t, "core", "2.50.20"), sampleArchive(t, "arp", "1.3.0"),
		sampleArchive(t, "localization-es", "1.2.0"), sampleArchive(t, "reports", "0.9.0")})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestInitFailingSchemaLeavesNoDatabase(t *testing.T) {
	dir := t.TempDir()
	if _, err := AddModule(dir, sampleArchive(t, "core", "2.50.20")); err != nil {
		t.Fatal(err)
	}
	writeModule(t, dir, "broken", "1.0.0", "core>=2.50.0", "CREATE TABLE broken (;")
	err := Init(t.Context(), dir, InitOptions{})
	if err == nil || !strings.Contains(err.Error(), "install module broken") {
		t.Fatalf("Init with a failing schema.sql: %v, want the module named", err)
	}
	if _, err := os.Stat(DBPath(dir)); !os.IsNotExist(err) {
		t.Errorf("a database was left behind: %v", err)
	}
}

func TestUpdateRefusals(t *testing.T) {
	dir := storyInstance(t)
	tests := map[string]struct {
		o    UpdateOptions
		want string
	}{
		"nothing":         {UpdateOptions{}, "nothing to do"},
		"all with others": {UpdateOptions{Update: []string{"all", "core"}}, `"all" updates every installed module`},
		"not installed":   {UpdateOptions{Update: []string{"warehouse"}}, "warehouse is not installed"},
		"install twice":   {UpdateOptions{Install: []string{"arp"}}, "arp is already installed"},
		"install no code": {UpdateOptions{Install: []string{"warehouse"}}, "module warehouse: its folder"},
		"disable core":    {UpdateOptions{Disable: []string{"core"}}, "core: it is the core module"},
		"disable unknown": {UpdateOptions{Disable: []string{"warehouse"}}, "cannot disable warehouse: it is not installed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := Update(t.Context(), dir, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Update(%+v) = %v, want %q", tc.o, err, tc.want)
			}
		})
	}
	if h := Check(t.Context(), dir); h.Status != HealthOK {
		t.Errorf("after refusals, health = %+v", h)
	}
}

func TestUpdateRefusesCodeOlderThanDatabase(t *testing.T) {
	dir := storyInstance(t)
	swap(t, dir, "core", "2.50.22")
	if err := Update(t.Context(), dir, UpdateOptions{Update: []string{All}}); err != nil {
		t.Fatal(err)
	}
	swap(t, dir, "core", "2.50.20")
	err := Update(t.Context(), dir, UpdateOptions{Update: []string{"core"}})
	if err == nil || !strings.Contains(err.Error(), "migrated to 2.50.22 but") {
		t.Fatalf("update with older code: %v, want a refusal naming 2.50.22", err)
	}
	h := Check(t.Context(), dir)
	if h.Status != HealthNeedsUpdate || h.Module != "core" || h.DBVersion != "2.50.22" {
		t.Errorf("health = %+v, want core named as needing attention", h)
	}
}

func TestUpdateRefusesUnmetDependency(t *testing.T) {
	dir := storyInstance(t)
	swap(t, dir, "core", "3.0.0")
	err := Update(t.Context(), dir, UpdateOptions{Update: []string{All}})
	if err == nil || !strings.Contains(err.Error(), "holds core 3.0.0") {
		t.Fatalf("update to core 3.0.0 with arp 1.3.0: %v, want a refusal", err)
	}
	mods, err := Modules(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		if m.State != StateInstalled {
			t.Errorf("%s is %q after a refused update, want untouched", m.Name, m.State)
		}
	}
}

// swap replaces module name's folder by the sample's version.
func swap(t *testing.T, dir, name, version string) {
	t.Helper()
	if err := os.RemoveAll(ModuleDir(dir, name)); err != nil {
		t.Fatal(err)
	}
	if _, err := AddModule(dir, sampleArchive(t, name, version)); err != nil {
		t.Fatal(err)
	}
}
