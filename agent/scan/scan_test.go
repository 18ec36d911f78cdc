package scan

import (
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

// scanCase is one table case: a catalog, an instance, a policy, and what
// the report must say.
type scanCase struct {
	name      string
	rels      []relSpec
	noDU      []string
	installed []Installed
	pol       Policy
	want      func(t *testing.T, r *Report)
}

func TestScanCases(t *testing.T) {
	for _, tc := range scanCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			r := mustScan(t, index(t, tc.rels, tc.noDU...), tc.installed, tc.pol)
			tc.want(t, r)
		})
	}
}

// expect compares two lists of strings.
func expect(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func expectText(t *testing.T, what string, list []string, sub string) {
	t.Helper()
	if !hasText(list, sub) {
		t.Errorf("%s lack %q:\n%s", what, sub, strings.Join(list, "\n"))
	}
}

func whyOf(t *testing.T, cs []Candidate, module, to string) *Why {
	t.Helper()
	c := findCandidate(cs, module, to)
	if c == nil || c.Why == nil {
		t.Fatalf("%s %s is not listed with reasons in %q", module, to, names(cs))
	}
	return c.Why
}

func scanCases(t *testing.T) []scanCase {
	core := func(v string, opts ...relOpt) relSpec { return rel(t, "core "+v, opts...) }
	return []scanCase{
		{
			name:      "patches by components and by the patch flag, updates by the third component",
			rels:      []relSpec{core("2.50.20"), core("2.50.20.1"), core("2.50.21", patch()), core("2.50.22")},
			installed: inst("core 2.50.20"),
			want: func(t *testing.T, r *Report) {
				expect(t, "patches", names(r.Patches), []string{"core 2.50.20.1", "core 2.50.21"})
				expect(t, "updates", names(r.Updates), []string{"core 2.50.22"})
				expect(t, "target", changes(r.Target), []string{"1 core 2.50.20 2.50.22"})
			},
		},
		{
			name:      "versions below the minimum maturity for updates are not listed",
			rels:      []relSpec{core("2.50.20"), core("2.50.21", maturity(catalog.MaturityBeta)), rel(t, "arp 1.0.0"), rel(t, "arp 1.0.1", maturity(catalog.MaturityBeta))},
			installed: inst("core 2.50.20", "arp 1.0.0"),
			pol:       Policy{MinUpdate: catalog.MaturityQAApproved, Maturity: map[string]catalog.Maturity{"arp": catalog.MaturityBeta}},
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{"arp 1.0.1"})
			},
		},
		{
			name:      "a held module is never proposed and is listed as held",
			rels:      []relSpec{core("2.50.20"), rel(t, "arp 1.3.0: core>=2.50.0"), rel(t, "arp 1.4.0: core>=2.50.0")},
			installed: inst("core 2.50.20", "arp 1.3.0"),
			pol:       Policy{Holds: map[string]string{"arp": "customized"}},
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{})
				expect(t, "target", changes(r.Target), []string{})
				if len(r.Held) != 1 || r.Held[0].Module != "arp" || r.Held[0].Reason != "customized" || len(r.Held[0].Available) != 1 {
					t.Errorf("held = %+v", r.Held)
				}
			},
		},
		{
			name:      "a held blocker cannot be disabled",
			rels:      []relSpec{core("2.50.20"), core("2.50.22"), rel(t, "reports 0.9.0: core>=2.50.20 minor")},
			installed: inst("core 2.50.20", "reports 0.9.0"),
			pol:       Policy{Holds: map[string]string{"reports": "audited"}},
			want: func(t *testing.T, r *Report) {
				w := whyOf(t, r.NotApplicable, "core", "2.50.22")
				if *w.Resolvable || len(w.Disable) != 0 {
					t.Errorf("core 2.50.22 should be unresolvable, why = %+v", w)
				}
				expectText(t, "reasons", w.Reasons, "reports is held (audited); release the hold to update or disable it")
				expectText(t, "reasons", w.Reasons, "disabling modules cannot make core 2.50.22 applicable")
			},
		},
		{
			name:      "an upgrade is proposed when default_upgrade is true, still labelled upgrade",
			rels:      []relSpec{core("3.0.0"), rel(t, "x 1.0.0: core>=2.50.0 none"), rel(t, "x 2.0.0: core>=3.0.0")},
			installed: inst("core 3.0.0", "x 1.0.0"),
			want: func(t *testing.T, r *Report) {
				expect(t, "upgrades", names(r.Upgrades), []string{"x 2.0.0"})
				if r.Upgrades[0].Kind != catalog.KindUpgrade {
					t.Errorf("kind = %s", r.Upgrades[0].Kind)
				}
				expect(t, "target", changes(r.Target), []string{"1 x 1.0.0 2.0.0"})
			},
		},
		{
			name: "an upgrade is only a notice when default_upgrade is false",
			rels: []relSpec{core("3.0.0"), rel(t, "x 1.0.0: core>=2.50.0 none"), rel(t, "x 2.0.0: core>=3.0.0")},
			noDU: []string{"x"}, installed: inst("core 3.0.0", "x 1.0.0"),
			want: func(t *testing.T, r *Report) {
				expect(t, "upgrades", names(r.Upgrades), []string{})
				expect(t, "notices", names(r.UpgradeNotices), []string{"x 2.0.0"})
				if n := r.UpgradeNotices[0]; n.Stage != 1 || !strings.Contains(n.Notice, "--include-upgrades x") || n.Why != nil {
					t.Errorf("notice = %+v", n)
				}
				expect(t, "target", changes(r.Target), []string{})
			},
		},
		{
			name: "the instance overrides default_upgrade to true",
			rels: []relSpec{core("3.0.0"), rel(t, "x 1.0.0: core>=2.50.0 none"), rel(t, "x 2.0.0: core>=3.0.0")},
			noDU: []string{"x"}, installed: inst("core 3.0.0", "x 1.0.0"),
			pol:  Policy{DefaultUpgrade: map[string]Override{"x": On}},
			want: func(t *testing.T, r *Report) { expect(t, "upgrades", names(r.Upgrades), []string{"x 2.0.0"}) },
		},
		{
			name:      "the instance overrides default_upgrade to false",
			rels:      []relSpec{core("3.0.0"), rel(t, "x 1.0.0: core>=2.50.0 none"), rel(t, "x 2.0.0: core>=3.0.0")},
			installed: inst("core 3.0.0", "x 1.0.0"),
			pol:       Policy{DefaultUpgrade: map[string]Override{"x": Off}},
			want: func(t *testing.T, r *Report) {
				expect(t, "notices", names(r.UpgradeNotices), []string{"x 2.0.0"})
				if !strings.Contains(r.UpgradeNotices[0].Notice, "this instance overrides its default_upgrade to false") {
					t.Errorf("notice = %q", r.UpgradeNotices[0].Notice)
				}
			},
		},
		{
			name: "an explicitly requested upgrade is proposed",
			rels: []relSpec{core("3.0.0"), rel(t, "x 1.0.0: core>=2.50.0 none"), rel(t, "x 2.0.0: core>=3.0.0")},
			noDU: []string{"x"}, installed: inst("core 3.0.0", "x 1.0.0"),
			pol:  Policy{Upgrades: []string{"x"}},
			want: func(t *testing.T, r *Report) { expect(t, "upgrades", names(r.Upgrades), []string{"x 2.0.0"}) },
		},
		{
			name: "a module's own major version change inside one core series is an upgrade, on request when default_upgrade is false",
			rels: []relSpec{core("2.50.20"), rel(t, "zeta 1.0.0: core>=2.50.0"), rel(t, "zeta 1.1.0: core>=2.50.0"), rel(t, "zeta 2.0.0: core>=2.50.0")},
			noDU: []string{"zeta"}, installed: inst("core 2.50.20", "zeta 1.0.0"),
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{"zeta 1.1.0"})
				expect(t, "upgrades", names(r.Upgrades), []string{})
				expect(t, "notices", names(r.UpgradeNotices), []string{"zeta 2.0.0"})
				expect(t, "target", changes(r.Target), []string{"1 zeta 1.0.0 1.1.0"})
			},
		},
		{
			name: "a requested major version change is planned as an upgrade",
			rels: []relSpec{core("2.50.20"), rel(t, "zeta 1.0.0: core>=2.50.0"), rel(t, "zeta 2.0.0: core>=2.50.0")},
			noDU: []string{"zeta"}, installed: inst("core 2.50.20", "zeta 1.0.0"),
			pol: Policy{Upgrades: []string{"zeta"}},
			want: func(t *testing.T, r *Report) {
				expect(t, "upgrades", names(r.Upgrades), []string{"zeta 2.0.0"})
				if r.Upgrades[0].Kind != catalog.KindUpgrade {
					t.Errorf("kind = %s", r.Upgrades[0].Kind)
				}
				expect(t, "target", changes(r.Target), []string{"1 zeta 1.0.0 2.0.0"})
			},
		},
		{
			name:      "a minor change of a module without a core dependency is an update",
			rels:      []relSpec{core("2.50.20"), rel(t, "util 1.3.0"), rel(t, "util 1.4.0")},
			installed: inst("core 2.50.20", "util 1.3.0"),
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{"util 1.4.0"})
				expect(t, "upgrades", names(r.Upgrades), []string{})
			},
		},
		{
			name:      "a blocker pinned with minor enforcement",
			rels:      []relSpec{core("2.50.20"), core("2.50.22"), rel(t, "reports 0.9.0: core>=2.50.20 minor editable")},
			installed: inst("core 2.50.20", "reports 0.9.0"),
			want: func(t *testing.T, r *Report) {
				w := whyOf(t, r.NotApplicable, "core", "2.50.22")
				expectText(t, "reasons", w.Reasons, "core 2.50.22 is blocked by: reports 0.9.0 (needs core>=2.50.20, i.e. <2.50.21)")
				expectText(t, "reasons", w.Reasons, "to apply it anyway, disable reports (the smallest set)")
			},
		},
		{
			name:      "a relaxed user_editable dependency lets the update through",
			rels:      []relSpec{core("2.50.20"), core("2.50.22"), rel(t, "reports 0.9.0: core>=2.50.20 minor editable")},
			installed: inst("core 2.50.20", "reports 0.9.0"),
			pol:       Policy{Relax: []Relaxation{{Module: "reports", Dependency: "core", Enforcement: catalog.EnforceMajor}}},
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{"core 2.50.22"})
				expect(t, "not applicable", names(r.NotApplicable), []string{})
			},
		},
		{
			name:      "relaxing a dependency that is not user_editable is ignored with a warning",
			rels:      []relSpec{core("2.50.20"), core("2.50.22"), rel(t, "reports 0.9.0: core>=2.50.20 minor")},
			installed: inst("core 2.50.20", "reports 0.9.0"),
			pol:       Policy{Relax: []Relaxation{{Module: "reports", Dependency: "core", Enforcement: catalog.EnforceMajor}}},
			want: func(t *testing.T, r *Report) {
				expect(t, "not applicable", names(r.NotApplicable), []string{"core 2.50.22"})
				expectText(t, "warnings", r.Warnings, "the relaxation of reports's dependency on core (to major) is ignored for reports 0.9.0: that dependency is not user_editable")
			},
		},
		{
			name:      "an unmet dependency that no available version meets",
			rels:      []relSpec{core("2.50.20"), rel(t, "arp 1.3.0: core>=2.50.0"), rel(t, "arp 2.0.0: core>=3.0.0")},
			installed: inst("core 2.50.20", "arp 1.3.0"),
			want: func(t *testing.T, r *Report) {
				w := whyOf(t, r.NotApplicable, "arp", "2.0.0")
				expectText(t, "reasons", w.Reasons, "arp 2.0.0 needs core>=3.0.0 — installed: core 2.50.20 (no version of core in the subscribed repositories satisfies it)")
				if *w.Resolvable {
					t.Error("arp 2.0.0 should be unresolvable")
				}
			},
		},
		{
			name:      "an update needing a module that is not installed",
			rels:      []relSpec{core("2.50.20"), rel(t, "arp 1.3.0: core>=2.50.0"), rel(t, "arp 1.5.0: core>=2.50.0; payments>=1.0.0"), rel(t, "payments 1.0.0: core>=2.50.0")},
			installed: inst("core 2.50.20", "arp 1.3.0"),
			want: func(t *testing.T, r *Report) {
				w := whyOf(t, r.NotApplicable, "arp", "1.5.0")
				expectText(t, "reasons", w.Reasons, "arp 1.5.0 needs payments>=1.0.0 — installed: none (payments is not installed; request it too (--install payments))")
			},
		},
		{
			name:      "requesting the missing module makes the update applicable",
			rels:      []relSpec{core("2.50.20"), rel(t, "arp 1.3.0: core>=2.50.0"), rel(t, "arp 1.5.0: core>=2.50.0; payments>=1.0.0"), rel(t, "payments 1.0.0: core>=2.50.0")},
			installed: inst("core 2.50.20", "arp 1.3.0"),
			pol:       Policy{Install: []string{"payments"}},
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{"arp 1.5.0"})
				expect(t, "target", changes(r.Target), []string{"1 arp 1.3.0 1.5.0", "1 payments 1.0.0"})
			},
		},
		{
			name:      "an install request pulls in what the module needs",
			rels:      []relSpec{core("2.50.20"), rel(t, "warehouse 1.0.0: core>=2.50.0; stock>=1.0.0"), rel(t, "stock 1.0.0: core>=2.50.0"), rel(t, "stock 2.0.0: core>=2.50.0")},
			installed: inst("core 2.50.20"),
			pol:       Policy{Install: []string{"warehouse"}},
			want: func(t *testing.T, r *Report) {
				if len(r.NewModules) != 2 || r.NewModules[0].Module != "stock" || r.NewModules[0].NeededBy != "warehouse" || r.NewModules[0].Version.String() != "1.0.0" {
					t.Errorf("new modules = %+v", r.NewModules)
				}
				expect(t, "target", changes(r.Target), []string{"1 stock 1.0.0", "1 warehouse 1.0.0"})
			},
		},
		{
			name:      "an install request for a module no repository offers",
			rels:      []relSpec{core("2.50.20")},
			installed: inst("core 2.50.20"),
			pol:       Policy{Install: []string{"nope"}},
			want: func(t *testing.T, r *Report) {
				if len(r.NewModules) != 1 || !r.NewModules[0].Version.IsZero() || !hasText(r.NewModules[0].Reasons, "no subscribed repository (main) offers nope") {
					t.Errorf("new modules = %+v", r.NewModules)
				}
			},
		},
		{
			name:      "an install request with no version fit for the installed core",
			rels:      []relSpec{core("2.50.20"), rel(t, "warehouse 2.0.0: core>=3.0.0")},
			installed: inst("core 2.50.20"),
			pol:       Policy{Install: []string{"warehouse"}},
			want: func(t *testing.T, r *Report) {
				if len(r.NewModules) != 1 || !hasText(r.NewModules[0].Reasons, "warehouse 2.0.0 needs core>=3.0.0 — installed: core 2.50.20") {
					t.Errorf("new modules = %+v", r.NewModules)
				}
			},
		},
		{
			name:      "an install request below the minimum maturity for installs",
			rels:      []relSpec{core("2.50.20"), rel(t, "warehouse 1.0.0: core>=2.50.0", maturity(catalog.MaturityBeta))},
			installed: inst("core 2.50.20"),
			pol:       Policy{Install: []string{"warehouse"}, MinInstall: catalog.MaturityConfirmedStable},
			want: func(t *testing.T, r *Report) {
				if len(r.NewModules) != 1 || !hasText(r.NewModules[0].Reasons, "no version of warehouse meets the minimum maturity for installs (confirmed-stable)") {
					t.Errorf("new modules = %+v", r.NewModules)
				}
			},
		},
		{
			name:      "an update that needs a core update is applied together with it",
			rels:      []relSpec{core("2.50.20"), core("2.50.22"), rel(t, "arp 1.3.0: core>=2.50.0"), rel(t, "arp 1.4.0: core>=2.50.22")},
			installed: inst("core 2.50.20", "arp 1.3.0"),
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{"arp 1.4.0", "core 2.50.22"})
				expect(t, "target", changes(r.Target), []string{"1 arp 1.3.0 1.4.0", "1 core 2.50.20 2.50.22"})
			},
		},
		{
			name: "two updates that need each other are applied together",
			rels: []relSpec{core("2.50.20"), rel(t, "x 1.0.0: core>=2.50.0; y>=1.0.0 minor"), rel(t, "x 1.1.0: core>=2.50.0; y>=1.1.0 minor"),
				rel(t, "y 1.0.0: core>=2.50.0; x>=1.0.0 minor"), rel(t, "y 1.1.0: core>=2.50.0; x>=1.1.0 minor")},
			installed: inst("core 2.50.20", "x 1.0.0", "y 1.0.0"),
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{"x 1.1.0", "y 1.1.0"})
				expect(t, "target", changes(r.Target), []string{"1 x 1.0.0 1.1.0", "1 y 1.0.0 1.1.0"})
			},
		},
		{
			name: "a blocker with a newer version that accepts the candidate",
			rels: []relSpec{core("2.50.20"), core("3.0.0"), rel(t, "localization-es 1.2.0: core>=2.50.0"), rel(t, "localization-es 1.2.0.1: core>=2.50.0,<3.1", patch()),
				rel(t, "reports 0.9.0: core=2.50.*")},
			installed: inst("core 2.50.20", "localization-es 1.2.0", "reports 0.9.0"),
			want: func(t *testing.T, r *Report) {
				w := whyOf(t, r.NotApplicable, "core", "3.0.0")
				expectText(t, "reasons", w.Reasons, "core 3.0.0 is blocked by: localization-es 1.2.0 (needs core>=2.50.0, i.e. <2.51), reports 0.9.0 (needs core 2.50.*)")
				expectText(t, "reasons", w.Reasons, "better than disabling localization-es: update localization-es to 1.2.0.1, which accepts core 3.0.0")
				expect(t, "disable", disableNames(w), []string{"reports"})
			},
		},
		{
			name:      "without the unmovable blocker the upgrade applies with the blocker's update",
			rels:      []relSpec{core("2.50.20"), core("3.0.0"), rel(t, "localization-es 1.2.0: core>=2.50.0"), rel(t, "localization-es 1.2.0.1: core>=2.50.0,<3.1", patch())},
			installed: inst("core 2.50.20", "localization-es 1.2.0"),
			want: func(t *testing.T, r *Report) {
				expect(t, "upgrades", names(r.Upgrades), []string{"core 3.0.0"})
				expect(t, "target", changes(r.Target), []string{"1 core 2.50.20 3.0.0", "1 localization-es 1.2.0 1.2.0.1"})
			},
		},
		{
			name:      "disabling a blocker disables the installed modules that depend on it",
			rels:      []relSpec{core("2.50.20"), core("3.0.0"), rel(t, "reports 0.9.0: core=2.50.*"), rel(t, "dash 1.0.0: core>=2.50.0 none; reports>=0.9.0 none")},
			installed: inst("core 2.50.20", "reports 0.9.0", "dash 1.0.0"),
			want: func(t *testing.T, r *Report) {
				w := whyOf(t, r.NotApplicable, "core", "3.0.0")
				expect(t, "disable", disableNames(w), []string{"dash", "reports"})
				if !w.DisableMinimal || w.Disable[0].Reason != "depends on reports, which is disabled too" {
					t.Errorf("disable = %+v", w.Disable)
				}
			},
		},
		{
			name: "the smallest set is found beyond the modules that must be disabled",
			rels: []relSpec{core("1.0.0"), rel(t, "x 1.0.0: core>=1.0.0 none"), rel(t, "x 1.1.0: core>=1.0.0 none; y>=2.0.0 none"),
				rel(t, "y 1.0.0: core>=1.0.0 none"), rel(t, "y 2.0.0: core>=1.0.0 none; a>=2.0.0 none"), rel(t, "y 3.0.0: core>=1.0.0 none; b>=2.0.0 none"),
				rel(t, "a 1.0.0"), rel(t, "a 2.0.0"), rel(t, "b 1.0.0"), rel(t, "b 2.0.0"),
				rel(t, "p 1.0.0: a>=1.0.0 minor"), rel(t, "q 1.0.0: b>=1.0.0 minor")},
			installed: inst("core 1.0.0", "x 1.0.0", "y 1.0.0", "a 1.0.0", "b 1.0.0", "p 1.0.0", "q 1.0.0"),
			want: func(t *testing.T, r *Report) {
				w := whyOf(t, r.NotApplicable, "x", "1.1.0")
				if got := disableNames(w); len(got) != 1 || got[0] != "p" && got[0] != "q" || !w.DisableMinimal {
					t.Errorf("disable = %q (minimal %v), want p or q alone", got, w.DisableMinimal)
				}
			},
		},
		{
			name: "an old instance reaches the new series in several steps",
			rels: []relSpec{core("2.50.20"), core("2.50.22"), core("3.0.0", upgradeFrom("2.50.22")), core("3.0.5", upgradeFrom("2.50.22")),
				core("3.1.0", upgradeFrom("3.0.5"))},
			installed: inst("core 2.50.20"),
			want: func(t *testing.T, r *Report) {
				expect(t, "updates", names(r.Updates), []string{"core 2.50.22"})
				expect(t, "upgrades", names(r.Upgrades), []string{"core 3.0.0", "core 3.0.5", "core 3.1.0"})
				expect(t, "target", changes(r.Target), []string{"1 core 2.50.20 2.50.22", "2 core 2.50.22 3.0.5", "3 core 3.0.5 3.1.0"})
				c := findCandidate(r.Upgrades, "core", "3.1.0")
				if c.Stage != 3 || c.Path == nil || c.Path.Text != "core 3.1.0 needs 3.0.5 or later: update core to 2.50.22 first, then upgrade to 3.0.5, then upgrade" {
					t.Errorf("core 3.1.0 = stage %d path %+v", c.Stage, c.Path)
				}
				if len(r.Paths) != 2 {
					t.Errorf("paths = %+v", r.Paths)
				}
			},
		},
		{
			name:      "an old instance whose intermediate update is blocked",
			rels:      []relSpec{core("2.50.20"), core("2.50.22"), core("3.0.0", upgradeFrom("2.50.22")), rel(t, "legacy 1.0.0: core>=2.50.20 minor")},
			installed: inst("core 2.50.20", "legacy 1.0.0"),
			want: func(t *testing.T, r *Report) {
				expect(t, "not applicable", names(r.NotApplicable), []string{"core 2.50.22", "core 3.0.0"})
				w := whyOf(t, r.NotApplicable, "core", "3.0.0")
				expectText(t, "reasons", w.Reasons, "core 3.0.0 needs 2.50.22 or later: update core to 2.50.22 first, then upgrade")
				expect(t, "disable", disableNames(w), []string{"legacy"})
			},
		},
		{
			name:      "an inconsistent installed set is reported and left as it is",
			rels:      []relSpec{core("2.50.20"), core("2.50.21", patch()), rel(t, "reports 0.9.0: core>=3.0.0")},
			installed: inst("core 2.50.20", "reports 0.9.0"),
			want: func(t *testing.T, r *Report) {
				expectText(t, "warnings", r.Warnings, "reports 0.9.0 needs core>=3.0.0 — installed: core 2.50.20; the instance is already inconsistent")
				expect(t, "patches", names(r.Patches), []string{"core 2.50.21"})
			},
		},
		{
			name: "an installed version no repository lists uses the dependencies the ERP reported",
			rels: []relSpec{core("2.50.20"), core("3.0.0")},
			installed: append(inst("core 2.50.20"), Installed{Module: "custom", Version: catalog.MustParseVersion("1.0.0"), Source: "ledger",
				Depends: []catalog.Dependency{{Module: "core", First: catalog.MustParseVersion("2.50")}}}, Installed{Module: "other", Version: catalog.MustParseVersion("1.0")}),
			want: func(t *testing.T, r *Report) {
				w := whyOf(t, r.NotApplicable, "core", "3.0.0")
				expectText(t, "reasons", w.Reasons, "core 3.0.0 is blocked by: custom 1.0.0 (needs core 2.50.*)")
				expectText(t, "warnings", r.Warnings, "other 1.0 is in no subscribed repository and the ERP reported no dependencies for it")
				if r.Installed[1].Module != "custom" || r.Installed[1].Source != "ledger" {
					t.Errorf("installed = %+v", r.Installed)
				}
			},
		},
		{
			name:      "a version in several repositories appears once, from the first",
			rels:      []relSpec{core("2.50.20"), core("2.50.21", patch()), rel(t, "core 2.50.21", patch(), inRepo("mirror")), rel(t, "core 2.50.22", inRepo("mirror"))},
			installed: inst("core 2.50.20"),
			want: func(t *testing.T, r *Report) {
				expect(t, "patches", names(r.Patches), []string{"core 2.50.21"})
				expect(t, "updates", names(r.Updates), []string{"core 2.50.22"})
				if r.Patches[0].Repository != "main" || r.Updates[0].Repository != "mirror" {
					t.Errorf("repositories = %s, %s", r.Patches[0].Repository, r.Updates[0].Repository)
				}
				expect(t, "repositories", r.Repositories, []string{"main", "mirror"})
			},
		},
	}
}

func TestOverrideText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Override
	}{{"inherit", Inherit}, {"TRUE", On}, {"false", Off}} {
		var o Override
		if err := o.UnmarshalText([]byte(tc.in)); err != nil || o != tc.want {
			t.Errorf("%q: %v, %v", tc.in, o, err)
		}
		if b, _ := o.MarshalText(); !strings.EqualFold(string(b), tc.in) {
			t.Errorf("%v marshals as %q", o, b)
		}
	}
	var o Override
	if err := o.UnmarshalText([]byte("maybe")); err == nil || !strings.Contains(err.Error(), "use inherit, true or false") {
		t.Errorf("maybe: %v", err)
	}
	if _, err := Override(5).MarshalText(); err == nil {
		t.Error("Override(5) marshals")
	}
}
