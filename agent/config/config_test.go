package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const demo = `
[erp]
kind = "demo"
demo.dir = "erp"

[repository]
url = "http://127.0.0.1:8480"
trusted_root = "root.json"

[policy]
min_maturity_update = "beta"
maturity = { arp = "qa-approved" }

[state]
dir = "state"
`

func TestLoadResolvesRelativePathsAndDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "upkeep.toml")
	if err := os.WriteFile(path, []byte(demo), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.ERP.Demo.Dir != filepath.Join(dir, "erp") || c.State.Dir != filepath.Join(dir, "state") || c.Repository.TrustedRoot != filepath.Join(dir, "root.json") {
		t.Errorf("paths not resolved against %s: %+v", dir, c)
	}
	if c.Policy.MinMaturityInstall != "confirmed-stable" || c.Policy.MinMaturityUpdate != "beta" || c.Policy.Maturity["arp"] != "qa-approved" {
		t.Errorf("policy = %+v", c.Policy)
	}
}

func TestBadConfigurationNamesTheKey(t *testing.T) {
	cases := map[string]struct{ edit, want string }{
		"unknown key":       {strings.Replace(demo, "kind =", "knid =", 1), "unknown key erp.knid"},
		"unknown kind":      {strings.Replace(demo, `"demo"`, `"openbravo"`, 1), `erp.kind = "openbravo"`},
		"odoo incomplete":   {strings.Replace(demo, `kind = "demo"`, `kind = "odoo"`, 1), "erp.odoo.odoo_bin"},
		"no kind":           {strings.Replace(demo, `kind = "demo"`, ``, 1), "erp.kind is missing"},
		"bad url":           {strings.Replace(demo, "http://127.0.0.1:8480", "ftp://x", 1), "repository.url"},
		"no root":           {strings.Replace(demo, `trusted_root = "root.json"`, ``, 1), "repository.trusted_root"},
		"bad maturity":      {strings.Replace(demo, `"beta"`, `"gold"`, 1), "policy.min_maturity_update"},
		"bad per-module":    {strings.Replace(demo, `"qa-approved"`, `"shiny"`, 1), "policy.maturity.arp"},
		"syntax":            {demo + "\n[[[", "line"},
		"tryton incomplete": {strings.Replace(demo, `kind = "demo"`, `kind = "tryton"`, 1), "erp.tryton needs"},
		"private no url":    {strings.Replace(demo, "[policy]", "[[repository.private]]\nname = \"2.50\"\ntrusted_root = \"r.json\"\n[policy]", 1), "repository.private[0]: url"},
		"private no root":   {strings.Replace(demo, "[policy]", "[[repository.private]]\nname = \"2.50\"\nurl = \"https://x\"\n[policy]", 1), "repository.private[0]: trusted_root"},
		"negative deadline": {strings.Replace(demo, "[policy]", "[repository.deadlines]\nwindow = \"-1s\"\n[policy]", 1), "give a positive duration"},
		"negative speed":    {strings.Replace(demo, "[policy]", "[repository.deadlines]\nmin_speed = -5\n[policy]", 1), "repository.deadlines.min_speed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.edit), "/x")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil || !strings.Contains(err.Error(), "--config") {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(demo))
	f.Add([]byte("[erp]\nkind = \"tryton\"\n[erp.tryton]\ntrytond_conf = \"t.conf\"\ndatabase = \"erp\"\n"))
	f.Add([]byte("[[["))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "/base")
		if err == nil && c.Validate() != nil {
			t.Fatalf("Parse accepted a configuration that Validate refuses")
		}
	})
}

func TestMissingFileNamesTheExamplesAndTheDemo(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "upkeep.toml"))
	if err == nil || !strings.Contains(err.Error(), "docs/examples/tryton.toml") || !strings.Contains(err.Error(), "upkeep demo") {
		t.Errorf("Load of a missing file = %v, want the examples and upkeep demo named", err)
	}
}
