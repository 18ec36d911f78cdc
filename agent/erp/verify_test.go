package erp_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/catalog"
)

func mod(name, code, db string) erp.Module {
	m := erp.Module{Name: name, Version: catalog.MustParseVersion(code)}
	if db != "" {
		m.DBVersion = catalog.MustParseVersion(db)
	}
	return m
}

func TestCompare(t *testing.T) {
	v := catalog.MustParseVersion
	mods := []erp.Module{mod("core", "2.50.22", "2.50.22"), mod("arp", "1.4.0", "1.3.0"), mod("notes", "1.1.0", "")}
	for _, tc := range []struct {
		name     string
		disabled []string
		want     erp.Expected
		diffs    string
	}{
		{"all confirmed", []string{"reports"}, erp.Expected{Versions: map[string]catalog.Version{"core": v("2.50.22"), "notes": v("1.1.0")},
			Disabled: []string{"reports"}, Kept: []string{"arp"}}, ""},
		{"code behind", nil, erp.Expected{Versions: map[string]catalog.Version{"core": v("3.0.0")}}, "core's code is at 2.50.22, want 3.0.0"},
		{"database behind", nil, erp.Expected{Versions: map[string]catalog.Version{"arp": v("1.4.0")}}, "arp's database is at 1.3.0, want 1.4.0"},
		{"not installed", nil, erp.Expected{Versions: map[string]catalog.Version{"warehouse": v("1.0.0")}}, "warehouse is not installed, want 1.0.0"},
		{"still installed", nil, erp.Expected{Disabled: []string{"arp"}}, "arp is still installed, want it disabled"},
		{"gone, not disabled", nil, erp.Expected{Disabled: []string{"reports"}}, "reports is neither installed nor disabled"},
		{"lost", nil, erp.Expected{Kept: []string{"core", "localization-es"}}, "localization-es is no longer installed"},
		{"every difference", nil, erp.Expected{Versions: map[string]catalog.Version{"core": v("3.0.0")}, Disabled: []string{"arp"}, Kept: []string{"x"}},
			"core's code is at 2.50.22, want 3.0.0; arp is still installed, want it disabled; x is no longer installed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, diffs := erp.Compare(mods, tc.disabled, tc.want)
			if got := strings.Join(diffs, "; "); got != tc.diffs {
				t.Errorf("differences %q, want %q", got, tc.diffs)
			}
			if tc.diffs == "" && !slices.Contains(ok, "reports disabled") {
				t.Errorf("confirmed %q, want reports disabled among them", ok)
			}
		})
	}
}
