package scanner_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/catalog"
)

func TestInstalledDependsKeepTheInstalledSeries(t *testing.T) {
	v := catalog.MustParseVersion
	mods := []erp.Module{
		{Name: "ir", Version: v("6.0.29"), Core: true},
		{Name: "party", Version: v("6.0.3"), Depends: []string{"country", "ir", "res"}},
		{Name: "country", Version: v("6.0.1"), Depends: []string{"ir"}},
		{Name: "res", Version: v("6.0.29"), Depends: []string{"ir", "ir"}},
		{Name: "note", Version: v("1.2.0"), Depends: []string{}},
	}
	tests := []struct {
		mod  int
		want []string
	}{
		{1, []string{"country>=6.0,<6.1", "ir>=6.0,<6.1", "res>=6.0,<6.1"}},
		{3, []string{"ir>=6.0,<6.1"}}, // a repeated name once
		{4, []string{}},               // none, as the ERP says
		{0, nil},                      // unknown
	}
	for _, tt := range tests {
		got := scanner.InstalledDepends(mods[tt.mod], mods)
		if (got == nil) != (tt.want == nil) {
			t.Errorf("%s: depends = %v, want nil = %v", mods[tt.mod].Name, got, tt.want == nil)
		}
		var s []string
		for _, d := range got {
			s = append(s, d.Module+d.Range().String())
		}
		if !slices.Equal(s, tt.want) && len(s)+len(tt.want) > 0 {
			t.Errorf("%s: depends = %q, want %q", mods[tt.mod].Name, s, tt.want)
		}
	}
	left := scanner.InstalledDepends(erp.Module{Name: "x", Depends: []string{"gone", "ir"}}, mods)
	if len(left) != 1 || left[0].Module != "ir" {
		t.Errorf("a dependency on a module that is not installed should be left out: %v", left)
	}
}

// TestUnpublishedDependentBlocks: the ERP's own dependencies of a module
// that no repository publishes reach the scan, so a new version of what it
// depends on that leaves the installed series is blocked by it, and the
// scan no longer warns that the ERP reported none.
func TestUnpublishedDependentBlocks(t *testing.T) {
	v := catalog.MustParseVersion
	dep := func(s string) []catalog.Dependency {
		d, err := catalog.ParseDependency(s)
		if err != nil {
			t.Fatal(err)
		}
		return []catalog.Dependency{d}
	}
	listing := func(module string, core bool, rels ...catalog.Release) *catalog.Listing {
		for i := range rels {
			rels[i].Core = core
			rels[i].Maturity = catalog.MaturityConfirmedStable
			rels[i].Archive = catalog.ArchiveRef{Path: "archives/x.zip", Length: 1, SHA256: strings.Repeat("0", 64)}
		}
		return &catalog.Listing{Schema: catalog.ListingSchema, Repository: "6.0", Module: module, DefaultUpgrade: true, Versions: rels}
	}
	idx, err := scan.NewIndex([]*catalog.Listing{
		listing("ir", true, catalog.Release{Version: v("6.0.29")}),
		listing("party", false, catalog.Release{Version: v("6.0.3"), Depends: dep("ir>=6.0")},
			catalog.Release{Version: v("7.0.0"), Depends: dep("ir>=6.0")}),
	})
	if err != nil {
		t.Fatal(err)
	}
	mods := []erp.Module{
		{Name: "ir", Version: v("6.0.29"), Core: true, Depends: []string{}},
		{Name: "party", Version: v("6.0.3"), Depends: []string{"ir"}},
		{Name: "sale", Version: v("6.0.10"), Depends: []string{"ir", "party"}},
	}
	rep, err := scan.Scan(idx, scanner.Installed(mods, nil), scan.Policy{Upgrades: []string{"party"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.NotApplicable) != 1 || rep.NotApplicable[0].Module != "party" || rep.NotApplicable[0].Why == nil ||
		!strings.Contains(strings.Join(rep.NotApplicable[0].Why.Reasons, "\n"), "sale 6.0.10") {
		t.Errorf("party 7.0.0 should be blocked by the unpublished sale 6.0.10: %+v", rep.NotApplicable)
	}
	for _, w := range rep.Warnings {
		if strings.Contains(w, "reported no dependencies") {
			t.Errorf("warning %q, although the ERP reported sale's dependencies", w)
		}
	}
}
