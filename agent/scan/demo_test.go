package scan

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// demoListings places the demo catalog in per-series repositories, the way
// the central repository does: a core release in its own series, another
// release in every series whose core its core dependency accepts.
func demoListings(t testing.TB) []*catalog.Listing {
	t.Helper()
	var rels []relSpec
	for _, m := range sample.Catalog() {
		man, err := catalog.ParseManifest([]byte(m.Manifest()))
		if err != nil {
			t.Fatalf("%s %s: %v", m.Name, m.Version, err)
		}
		r := man.Release(fakeArchive(m.Name, m.Version), time.Unix(0, 0).UTC())
		for _, series := range []string{"2.50", "3.0"} {
			if demoPlaced(man, series) {
				rels = append(rels, relSpec{module: m.Name, repo: series, rel: r})
			}
		}
	}
	return listings(rels, "arp")
}

func demoPlaced(m *catalog.Manifest, series string) bool {
	if m.Core {
		return m.Version.Series().String() == series
	}
	s := catalog.MustParseVersion(series)
	for _, d := range m.Depends {
		if d.Module == "core" && !d.Allows(s) && !d.Allows(s.WithLast(s.Component(1))) {
			r := d.Range()
			if !(r.Lo.Series() == s.Series()) {
				return false
			}
		}
	}
	return true
}

func demoInstalled() []Installed {
	return inst("core 2.50.20", "arp 1.3.0", "localization-es 1.2.0", "reports 0.9.0")
}

func TestDemoStory(t *testing.T) {
	x, err := NewIndex(demoListings(t))
	if err != nil {
		t.Fatal(err)
	}
	r := mustScan(t, x, demoInstalled(), Policy{Install: []string{"warehouse"}})
	if b, err := json.MarshalIndent(r, "", "  "); err == nil {
		t.Logf("%s", b)
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("patches", names(r.Patches), []string{"core 2.50.21"})
	check("updates", names(r.Updates), []string{"arp 1.4.0", "core 2.50.22"})
	check("upgrades", names(r.Upgrades), []string{})
	check("notices", names(r.UpgradeNotices), []string{"arp 2.0.0"})
	check("not applicable", names(r.NotApplicable), []string{"core 3.0.0"})
	check("target", changes(r.Target), []string{"1 arp 1.3.0 1.4.0", "1 core 2.50.20 2.50.22", "1 warehouse 1.0.0"})

	core3 := findCandidate(r.NotApplicable, "core", "3.0.0")
	if core3 == nil || core3.Path == nil || core3.Path.Text != "core 3.0.0 needs 2.50.22 or later: update core to 2.50.22 first, then upgrade" {
		t.Fatalf("core 3.0.0 path = %+v", core3)
	}
	w := core3.Why
	for _, want := range []string{
		"core 3.0.0 is blocked by: arp 1.3.0 (needs core>=2.50.0, i.e. <2.51), localization-es 1.2.0 (needs core>=2.50.0, i.e. <2.51), reports 0.9.0 (needs core 2.50.*)",
		"better than disabling arp: upgrade arp to 2.0.0, which accepts core 3.0.0 (arp's upgrades are taken only on request: --include-upgrades arp)",
		"to apply it anyway, disable arp, localization-es and reports (the smallest set)",
	} {
		if !hasText(w.Reasons, want) {
			t.Errorf("core 3.0.0 reasons lack %q:\n%q", want, w.Reasons)
		}
	}
	arp2 := r.UpgradeNotices[0]
	if arp2.Stage != 0 || arp2.Notice == "" || !hasText(arp2.Why.Reasons, "arp 2.0.0 needs core>=3.0.0 — installed: core 2.50.20 (core 3.0.0 is not applicable either)") {
		t.Errorf("arp 2.0.0 notice = %+v", arp2)
	}
	if len(r.NewModules) != 1 || r.NewModules[0].Version.String() != "1.0.0" ||
		!hasText(r.NewModules[0].Reasons, "warehouse 2.0.0 exists for core 3.0; installing warehouse 1.0.0 for core 2.50") {
		t.Errorf("new modules = %+v", r.NewModules)
	}
	if !hasText(r.Warnings, "warehouse 2.0.0 exists for core 3.0") {
		t.Errorf("warnings lack the warehouse note: %q", r.Warnings)
	}
}
