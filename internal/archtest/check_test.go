package archtest

import (
	"strings"
	"testing"
)

const mod = "example.com/upkeep"

func TestCheckSyntheticPackages(t *testing.T) {
	tests := []struct {
		pkg, imp string
		wantErr  string // substring of the reason; "" means allowed
	}{
		{"catalog", "os", "must do no I/O"},
		{"catalog", "net/http", "must do no I/O"},
		{"catalog", "path/filepath", "must do no I/O"},
		{"catalog", "C", "must do no I/O"},
		{"catalog/index", "os/exec", "must do no I/O"},
		{"catalog", "path", ""},
		{"catalog", "crypto/ed25519", ""},
		{"catalog", "github.com/BurntSushi/toml", ""},
		{"catalog", "gopkg.in/yaml.v3", "only the standard library"},
		{"catalog", mod + "/platform", "no other package"},
		{"catalog/index", mod + "/catalog", ""},
		{"agent/scan", mod + "/catalog", ""},
		{"agent/scan", mod + "/agent/erp", "only catalog"},
		{"agent/scan", "database/sql", "must do no I/O"},
		{"agent/scanner", mod + "/agent/store", ""},
		{"platform", mod + "/catalog", "no other package"},
		{"platform/ipc", mod + "/platform", ""},
		{"platform", "golang.org/x/sys/windows", ""},
		{"gui", mod + "/agent/api", ""},
		{"gui/tray", mod + "/catalog", ""},
		{"gui", mod + "/agent/store", "only catalog"},
		{"gui", "fyne.io/fyne/v2", ""},
		{"repo", mod + "/agent/fetch", "must not import"},
		{"repo/store", mod + "/platform", ""},
		{"agent/fetch", mod + "/repo", "must not import"},
		{"agent/apply", mod + "/gui", "must not import"},
		{"agent/apply", mod + "/agent/store", ""},
		{"internal/archtest", mod + "/cmd/upkeep", "must not import cmd"},
		{"cmd/upkeep", mod + "/agent/api", ""},
		{"agent/host", mod + "/agent/erp/tryton", ""},
		{"agent/cli", mod + "/agent/erp/tryton", "built in one place, agent/host"},
		{"agent/api/backend", mod + "/agent/erp/odoo", "built in one place, agent/host"},
		{"quickstart", mod + "/agent/erp/demo", "built in one place, agent/host"},
		{"quickstart", mod + "/agent/erp/proc", ""},
		{"agent/cli", mod + "/agent/erp", ""},
		{"agent/erp/tryton", mod + "/agent/erp/dbcopy", ""},
		{"bench/downtime", mod + "/agent/erp/tryton", ""},
		{"agent/apply", mod + "/demoerp", "production code never runs it"},
		{"agent/erp/command", mod + "/demoerp", "production code never runs it"},
		{"agent/erp/demo", mod + "/demoerp", ""},
		{"quickstart", mod + "/demoerp", ""},
		{"cmd/upkeep", mod + "/demoerp/cli", ""},
		{"demoerp/cli", mod + "/demoerp", ""},
	}
	for _, tt := range tests {
		t.Run(tt.pkg+"→"+tt.imp, func(t *testing.T) {
			pkg := Package{ImportPath: mod + "/" + tt.pkg, Imports: []string{tt.imp}}
			got := Check(mod, []Package{pkg})
			if tt.wantErr == "" {
				if len(got) != 0 {
					t.Errorf("got violations %v, want none", got)
				}
				return
			}
			if !hasViolation(got, tt.imp, tt.wantErr) {
				t.Errorf("got violations %v, want one for %s mentioning %q", got, tt.imp, tt.wantErr)
			}
		})
	}
}

// TestCheckReportsEveryViolation checks that one package's forbidden
// imports are each reported, named by package and import, and only they.
func TestCheckReportsEveryViolation(t *testing.T) {
	pkgs := []Package{
		{ImportPath: mod + "/catalog", Imports: []string{"fmt", "os", "net"}},
		{ImportPath: mod + "/repo", Imports: []string{mod + "/catalog", mod + "/agent/fetch"}},
		{ImportPath: "other.org/lib", Imports: []string{"os"}},
	}
	got := Check(mod, pkgs)
	want := []string{
		mod + "/catalog imports net",
		mod + "/catalog imports os",
		mod + "/repo imports " + mod + "/agent/fetch",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d violations %v, want %d", len(got), got, len(want))
	}
	for i, v := range got {
		if !strings.HasPrefix(v.String(), want[i]+": ") {
			t.Errorf("violation %d = %q, want it to start %q", i, v, want[i])
		}
	}
}

func hasViolation(vs []Violation, imp, reason string) bool {
	for _, v := range vs {
		if v.Import == imp && strings.Contains(v.Reason, reason) {
			return true
		}
	}
	return false
}
