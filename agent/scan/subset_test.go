package scan

import (
	"errors"
	"slices"
	"testing"
)

// subsetIndex: a needs the newer core at 1.1.0, c's installed version
// accepts core 2.50.20 alone, b and d are on their own (d has nothing new).
func subsetIndex(t *testing.T) (*Index, []Installed) {
	rels := []relSpec{
		rel(t, "core 2.50.20"), rel(t, "core 2.50.21", patch()), rel(t, "core 2.50.22"),
		rel(t, "a 1.0.0: core>=2.50.20"), rel(t, "a 1.0.1: core>=2.50.20", patch()), rel(t, "a 1.1.0: core>=2.50.22"),
		rel(t, "b 1.0.0"), rel(t, "b 1.0.1", patch()),
		rel(t, "c 1.0.0: core>=2.50.20 minor"), rel(t, "c 1.1.0: core>=2.50.22"),
		rel(t, "d 1.0.0"),
	}
	return index(t, rels), inst("core 2.50.20", "a 1.0.0", "b 1.0.0", "c 1.0.0", "d 1.0.0")
}

func TestPlanModulesKeepsTheSelectionAndWhatItNeeds(t *testing.T) {
	x, installed := subsetIndex(t)
	cases := []struct {
		name    string
		opts    PlanOptions
		changes []string
		notes   []string // warnings the plan must have
	}{
		{name: "every change without a selection", opts: PlanOptions{},
			changes: []string{"1 b 1.0.0 1.0.1", "1 core 2.50.20 2.50.22", "1 a 1.0.0 1.1.0", "1 c 1.0.0 1.1.0"}},
		{name: "a module on its own", opts: PlanOptions{Modules: []string{"b"}},
			changes: []string{"1 b 1.0.0 1.0.1"}},
		{name: "the core a needs, and c that must move with the core", opts: PlanOptions{Modules: []string{"a"}},
			changes: []string{"1 core 2.50.20 2.50.22", "1 a 1.0.0 1.1.0", "1 c 1.0.0 1.1.0"},
			notes:   []string{"core is in the plan too: a 1.1.0 needs it", "c is in the plan too: c 1.0.0 does not work with core 2.50.22"}},
		{name: "the core alone takes c, not a", opts: PlanOptions{Modules: []string{"core"}},
			changes: []string{"1 core 2.50.20 2.50.22", "1 c 1.0.0 1.1.0"}},
		{name: "two modules", opts: PlanOptions{Modules: []string{"b", "c"}},
			changes: []string{"1 b 1.0.0 1.0.1", "1 core 2.50.20 2.50.22", "1 c 1.0.0 1.1.0"}},
		{name: "a selection among the patches", opts: PlanOptions{PatchesOnly: true, Modules: []string{"a"}},
			changes: []string{"1 a 1.0.0 1.0.1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := mustScan(t, x, installed, Policy{}).Plan(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "changes", planned(pl), tc.changes)
			for _, n := range tc.notes {
				expectText(t, "warnings", pl.Warnings, n)
			}
		})
	}
}

func TestPlanModulesHash(t *testing.T) {
	x, installed := subsetIndex(t)
	plan := func(mods ...string) *Plan {
		pl, err := mustScan(t, x, installed, Policy{}).Plan(PlanOptions{Modules: mods})
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}
	full, all, some := plan(), plan("a", "b", "c", "core"), plan("b")
	if all.Hash != full.Hash {
		t.Errorf("selecting every changed module: hash %s, want the whole plan's %s", all.Hash, full.Hash)
	}
	if some.Hash == full.Hash {
		t.Error("a selection has the whole plan's hash")
	}
	if again := plan("b"); again.Hash != some.Hash {
		t.Errorf("planning the same selection again: hash %s, then %s", some.Hash, again.Hash)
	}
	if pl := plan("b", "b"); pl.Hash != some.Hash {
		t.Error("a name given twice changes the plan")
	}
}

func TestPlanModulesUnknown(t *testing.T) {
	x, installed := subsetIndex(t)
	r := mustScan(t, x, installed, Policy{})
	cases := []struct {
		name string
		opts PlanOptions
		want []string
	}{
		{"not in the scan", PlanOptions{Modules: []string{"b", "zz"}}, []string{"zz"}},
		{"installed, nothing to change, and unknown", PlanOptions{Modules: []string{"zz", "d", "b"}}, []string{"d", "zz"}},
		{"not among the patches", PlanOptions{PatchesOnly: true, Modules: []string{"c"}}, []string{"c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Plan(tc.opts)
			var ue *UnplannedError
			if !errors.As(err, &ue) || !slices.Equal(ue.Modules, tc.want) {
				t.Fatalf("err = %v, want an UnplannedError naming %q", err, tc.want)
			}
		})
	}
}

// TestPlanModulesDisables: a selection keeps the disables it needs, over
// several steps.
func TestPlanModulesDisables(t *testing.T) {
	cases := []struct {
		name    string
		opts    PlanOptions
		changes []string
		disable []string
	}{
		{name: "the enforced upgrade of arp takes the core's path and its blockers",
			opts:    PlanOptions{IncludeUpgrades: []string{"arp"}, DisableBlockers: true, Modules: []string{"arp"}},
			changes: []string{"1 core 2.50.20 2.50.22", "1 arp 1.3.0 1.4.0", "2 core 2.50.22 3.0.0", "2 arp 1.4.0 2.0.0"},
			disable: []string{"localization-es", "reports"}},
		{name: "disabling one blocker alone",
			opts:    PlanOptions{IncludeUpgrades: []string{"arp"}, DisableBlockers: true, Modules: []string{"reports"}},
			changes: []string{}, disable: []string{"reports"}},
		{name: "the first step's update of arp alone",
			opts:    PlanOptions{Modules: []string{"arp"}},
			changes: []string{"1 arp 1.3.0 1.4.0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := demoReport(t, Policy{}).Plan(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "changes", planned(pl), tc.changes)
			off := []string{}
			for _, d := range pl.Disable {
				off = append(off, d.Module)
			}
			expect(t, "disable", off, tc.disable)
		})
	}
}
