package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/repo/cli"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// writeTree writes name -> content under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPublishOdooAddonFolder(t *testing.T) {
	t.Parallel()
	dir, _ := initRepo(t)
	work := t.TempDir()
	base, err := sample.Module{Name: "base", Version: "17.0.1.3", Core: true, DefaultUpgrade: true, Maturity: "confirmed-stable"}.Archive()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "base.zip"), base, 0o644); err != nil {
		t.Fatal(err)
	}
	writeTree(t, filepath.Join(work, "lending_shelf"), map[string]string{
		"__manifest__.py": "# An invented addon.\n{\n    'name': 'Lending Shelf',\n    'version': '17.0.1.1.0',\n" +
			"    'summary': 'Lend books and tools',\n    'depends': ['base'],\n    'installable': True,\n}\n",
		"__init__.py":                  "",
		"migrations/1.1.0/pre-move.py": "def migrate(cr, version):\n    pass\n",
		"upkeep.toml":                  "maturity = \"beta\"\n",
	})
	out := mustRun(t, "publish", "--dir", dir, filepath.Join(work, "base.zip"), filepath.Join(work, "lending_shelf"))
	if !strings.Contains(out, "published lending_shelf 17.0.1.1.0 into 17.0 ") {
		t.Errorf("publish output:\n%s", out)
	}
	if out := mustRun(t, "list", "--dir", dir); !strings.Contains(out, "lending_shelf") || !strings.Contains(out, "17.0.1.1.0") {
		t.Errorf("list does not show the addon:\n%s", out)
	}

	writeTree(t, filepath.Join(work, "broken_shelf"), map[string]string{"__manifest__.py": "{'depends': ['base']}\n"})
	code, _, errOut := run(t, "publish", "--dir", dir, filepath.Join(work, "broken_shelf"))
	if code == cli.ExitOK || !strings.Contains(errOut, "has no 'version'") || !strings.Contains(errOut, "nothing was published") {
		t.Errorf("publish of an addon without a version: exit %d\n%s", code, errOut)
	}
}
