package scan

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

// planned writes changes as "stage module from->to".
func planned(pl *Plan) []string {
	out := make([]string, len(pl.Changes))
	for i, c := range pl.Changes {
		out[i] = strings.Join(strings.Fields(itoa(c.Stage)+" "+c.Module+" "+c.From.String()+" "+c.To.String()), " ")
	}
	return out
}

func scriptPaths(ss []catalog.Script) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, s.Path)
	}
	return out
}

func demoReport(t *testing.T, pol Policy) *Report {
	t.Helper()
	x, err := NewIndex(demoListings(t))
	if err != nil {
		t.Fatal(err)
	}
	return mustScan(t, x, demoInstalled(), pol)
}

func TestPlanCases(t *testing.T) {
	cases := []struct {
		name    string
		pol     Policy
		opts    PlanOptions
		changes []string
		disable []string
		warn    string
	}{
		{name: "the report's target, dependencies first", pol: Policy{Install: []string{"warehouse"}},
			changes: []string{"1 core 2.50.20 2.50.22", "1 arp 1.3.0 1.4.0", "1 warehouse 1.0.0"}},
		{name: "a requested upgrade that is blocked is left out with a warning", opts: PlanOptions{IncludeUpgrades: []string{"arp"}},
			changes: []string{"1 core 2.50.20 2.50.22", "1 arp 1.3.0 1.4.0"}, warn: "arp 2.0.0 is not in the plan"},
		{name: "an enforced update disables the blockers and goes through the old instance's path",
			opts:    PlanOptions{IncludeUpgrades: []string{"arp"}, DisableBlockers: true},
			changes: []string{"1 core 2.50.20 2.50.22", "1 arp 1.3.0 1.4.0", "2 core 2.50.22 3.0.0", "2 arp 1.4.0 2.0.0"},
			disable: []string{"localization-es", "reports"}},
		{name: "an enforced update without the arp upgrade disables arp too", opts: PlanOptions{DisableBlockers: true},
			changes: []string{"1 core 2.50.20 2.50.22", "2 core 2.50.22 3.0.0"},
			disable: []string{"arp", "localization-es", "reports"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := demoReport(t, tc.pol).Plan(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, "changes", planned(pl), tc.changes)
			var off []string
			for _, d := range pl.Disable {
				off = append(off, d.Module)
			}
			expect(t, "disable", off, tc.disable)
			if tc.warn != "" {
				expectText(t, "warnings", pl.Warnings, tc.warn)
			}
			if len(pl.Hash) != 64 {
				t.Errorf("hash = %q", pl.Hash)
			}
		})
	}
}

func TestPlanScripts(t *testing.T) {
	pl, err := demoReport(t, Policy{}).Plan(PlanOptions{IncludeUpgrades: []string{"arp"}, DisableBlockers: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2][]string{
		"1 core": {{"migrations/2.50.22/pre.sql"}, {"migrations/2.50.22/post.sql"}},
		"1 arp":  {{}, {"migrations/1.4.0/post.sql"}},
		"2 core": {{"migrations/3.0.0/pre.sql"}, {}},
		"2 arp":  {{}, {}},
	}
	for _, c := range pl.Changes {
		w := want[itoa(c.Stage)+" "+c.Module]
		expect(t, c.Module+" pre", scriptPaths(c.Pre), w[0])
		expect(t, c.Module+" post", scriptPaths(c.Post), w[1])
		if c.Archive.SHA256 == "" {
			t.Errorf("%s has no archive", c.Module)
		}
	}
}

// TestPlanScriptOrder checks the scripts that apply are those of the
// target archive between the installed and the target version, ordered by
// To, then Path.
func TestPlanScriptOrder(t *testing.T) {
	from := catalog.MustParseVersion("2.50.21")
	rels := []relSpec{rel(t, "core 2.50.20"), rel(t, "core 2.50.23",
		script("post", "m/b.sql", "2.50.22"), script("post", "m/a.sql", "2.50.22"), script("pre", "m/c.sql", "2.50.21"),
		script("pre", "m/d.sql", "2.50.23"), script("pre", "m/old.sql", "2.50.20"),
		func(r *relSpec) {
			r.rel.Scripts = append(r.rel.Scripts, catalog.Script{Phase: "pre", Path: "m/from.sql", From: &from, To: from.WithLast(22)})
		})}
	r := mustScan(t, index(t, rels), inst("core 2.50.20"), Policy{})
	pl, err := r.Plan(PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "pre", scriptPaths(pl.Changes[0].Pre), []string{"m/c.sql", "m/d.sql"})
	expect(t, "post", scriptPaths(pl.Changes[0].Post), []string{"m/a.sql", "m/b.sql"})
}

// TestPlanHashStable checks the hash depends on the plan only: not on the
// order of the installed modules, of the requests or of map insertion.
func TestPlanHashStable(t *testing.T) {
	x, err := NewIndex(demoListings(t))
	if err != nil {
		t.Fatal(err)
	}
	opts := PlanOptions{IncludeUpgrades: []string{"arp"}, DisableBlockers: true}
	hash := func(installed []Installed, pol Policy) string {
		r := mustScan(t, x, installed, pol)
		pl, err := r.Plan(opts)
		if err != nil {
			t.Fatal(err)
		}
		return pl.Hash
	}
	base := hash(demoInstalled(), Policy{Install: []string{"warehouse"}, Holds: map[string]string{"none-such": ""}})
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		in := demoInstalled()
		rng.Shuffle(len(in), func(a, b int) { in[a], in[b] = in[b], in[a] })
		pol := Policy{Install: []string{"warehouse"}, Holds: map[string]string{}, DefaultUpgrade: map[string]Override{}}
		for _, m := range rng.Perm(5) {
			pol.DefaultUpgrade[[]string{"a", "b", "c", "d", "e"}[m]] = Inherit
		}
		pol.Holds["none-such"] = ""
		if h := hash(in, pol); h != base {
			t.Fatalf("permutation %d: hash %s, want %s", i, h, base)
		}
	}
	if h := hash(demoInstalled(), Policy{}); h == base {
		t.Error("a different plan has the same hash")
	}
}

func TestPlanErrors(t *testing.T) {
	r := demoReport(t, Policy{})
	if _, err := r.Plan(PlanOptions{IncludeUpgrades: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope: it is not installed") {
		t.Errorf("unknown module: %v", err)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := back.Plan(PlanOptions{}); err == nil || !strings.Contains(err.Error(), "scan again") {
		t.Errorf("decoded report: %v", err)
	}
}

// TestReportJSONFields pins the documented field names of the JSON report.
func TestReportJSONFields(t *testing.T) {
	r := demoReport(t, Policy{Install: []string{"warehouse"}})
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	expect(t, "top-level fields", sortedKeys(top), []string{"core", "disabled", "exposed", "held", "installed", "new_modules", "not_applicable", "patches",
		"paths", "repositories", "schema", "target", "updates", "upgrade_notices", "upgrades", "warnings"})
	var na []map[string]json.RawMessage
	if err := json.Unmarshal(top["not_applicable"], &na); err != nil || len(na) == 0 {
		t.Fatalf("not_applicable: %v", err)
	}
	expect(t, "candidate fields", sortedKeys(na[0]), []string{"from", "kind", "maturity", "module", "notes", "path", "repository", "source",
		"stage", "summary", "to", "why"})
	var why map[string]json.RawMessage
	if err := json.Unmarshal(na[0]["why"], &why); err != nil {
		t.Fatal(err)
	}
	expect(t, "why fields", sortedKeys(why), []string{"blockers", "disable", "disable_minimal", "reasons", "resolvable"})
}

func sortedKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestScanErrors(t *testing.T) {
	x := index(t, []relSpec{rel(t, "core 2.50.20")})
	v := catalog.MustParseVersion("1.0")
	cases := []struct {
		name      string
		idx       *Index
		installed []Installed
		pol       Policy
		want      string
	}{
		{"no index", nil, inst("core 2.50.20"), Policy{}, "no index"},
		{"no core", x, []Installed{{Module: "arp", Version: v}}, Policy{}, "no installed module is marked as the core"},
		{"two cores", x, []Installed{{Module: "a", Version: v, Core: true}, {Module: "b", Version: v, Core: true}}, Policy{}, "several installed modules are marked as the core (a, b)"},
		{"a module twice", x, []Installed{{Module: "a", Version: v, Core: true}, {Module: "a", Version: v}}, Policy{}, "a is listed twice"},
		{"a bad name", x, []Installed{{Module: "A", Version: v, Core: true}}, Policy{}, "must be lowercase"},
		{"no version", x, []Installed{{Module: "a", Core: true}}, Policy{}, "a has no version"},
		{"a bad maturity", x, inst("core 2.50.20"), Policy{MinUpdate: 9}, "minimum maturity for updates"},
		{"a bad override", x, inst("core 2.50.20"), Policy{DefaultUpgrade: map[string]Override{"a": 7}}, "default-upgrade override of a"},
		{"a bad install name", x, inst("core 2.50.20"), Policy{Install: []string{"Bad"}}, "install request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Scan(tc.idx, tc.installed, tc.pol); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := NewIndex([]*catalog.Listing{nil}); err == nil || !strings.Contains(err.Error(), "listing 0 is missing") {
		t.Errorf("nil listing: %v", err)
	}
}

func TestIndexWarnings(t *testing.T) {
	a := rel(t, "core 2.50.21")
	b := a
	b.repo = "mirror"
	b.rel.Archive = fakeArchive("other", "x")
	ls := listings([]relSpec{a, rel(t, "arp 1.0.0"), b, func() relSpec { r := rel(t, "arp 1.0.1"); r.repo = "mirror"; return r }()}, "none")
	ls[3].DefaultUpgrade = false
	x, err := NewIndex(ls)
	if err != nil {
		t.Fatal(err)
	}
	r := mustScan(t, x, inst("core 2.50.20", "arp 1.0.0"), Policy{})
	for _, w := range [][]string{r.Warnings, x.Warnings()} {
		expectText(t, "warnings", w, "core 2.50.21 differs between repositories main and mirror (different archives); the scan uses main's")
		expectText(t, "warnings", w, "repositories main and mirror disagree on arp's default_upgrade flag; the scan uses false")
	}
}
