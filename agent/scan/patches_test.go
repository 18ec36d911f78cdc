package scan

import (
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

func TestPlanPatchesOnly(t *testing.T) {
	r := demoReport(t, Policy{Install: []string{"warehouse"}})
	full, err := r.Plan(PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "full plan", planned(full), []string{"1 core 2.50.20 2.50.22", "1 arp 1.3.0 1.4.0", "1 warehouse 1.0.0"})
	pl, err := r.Plan(PlanOptions{PatchesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "patches only", planned(pl), []string{"1 core 2.50.20 2.50.21"})
	if pl.Changes[0].Kind != catalog.KindPatch || pl.Hash == full.Hash || len(pl.Disable) != 0 {
		t.Errorf("patch plan %+v (hash %s, full %s)", pl.Changes[0], pl.Hash, full.Hash)
	}
	again, _ := r.Plan(PlanOptions{PatchesOnly: true})
	if again.Hash != pl.Hash {
		t.Errorf("the patches-only plan's hash changed: %s, then %s", pl.Hash, again.Hash)
	}
}

// TestPlanPatchesOnlyKeepsDependencies: a patch whose dependency would
// need an update is left out rather than planned inconsistently.
func TestPlanPatchesOnlyKeepsDependencies(t *testing.T) {
	x := index(t, []relSpec{
		rel(t, "core 1.0.0"), rel(t, "core 1.0.1"), rel(t, "core 1.0.0.1", patch()),
		rel(t, "app 2.0.0: core>=1.0.0"), rel(t, "app 2.0.0.1: core>=1.0.1", patch()),
		rel(t, "lib 3.0.0: core>=1.0.0"), rel(t, "lib 3.0.0.1: core>=1.0.0", patch()),
	})
	r := mustScan(t, x, inst("core 1.0.0", "app 2.0.0", "lib 3.0.0"), Policy{})
	pl, err := r.Plan(PlanOptions{PatchesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "patches only", planned(pl), []string{"1 core 1.0.0 1.0.0.1", "1 lib 3.0.0 3.0.0.1"})
	for _, c := range pl.Changes {
		if c.Kind != catalog.KindPatch {
			t.Errorf("%s %s is a %s", c.Module, c.To, c.Kind)
		}
	}
}

func TestPlanPatchesOnlyRefusesOtherOptions(t *testing.T) {
	r := demoReport(t, Policy{})
	for _, o := range []PlanOptions{{PatchesOnly: true, DisableBlockers: true}, {PatchesOnly: true, IncludeUpgrades: []string{"arp"}}} {
		if _, err := r.Plan(o); err == nil || !strings.Contains(err.Error(), "patches alone") {
			t.Errorf("%+v: %v, want a refusal", o, err)
		}
	}
}
