package presenter_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
)

func TestWordsNameTheWindowsButtons(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"upgrade available: arp's upgrades are taken only on request (its repository sets default_upgrade to false); include them with --include-upgrades arp",
			"upgrade available: arp's upgrades are taken only on request (its repository sets default_upgrade to false); plan them on the Upgrades screen"},
		{"upgrade arp to 2.0.0, which accepts core 3.0.0 (arp's upgrades are taken only on request: --include-upgrades arp)",
			"upgrade arp to 2.0.0, which accepts core 3.0.0 (arp's upgrades are taken only on request: plan it on the Upgrades screen)"},
		{"arp 2.0.0 is not in the plan: it cannot be applied as things stand (see the scan's reasons); add --disable-blockers to disable what blocks it",
			"arp 2.0.0 is not in the plan: it cannot be applied as things stand (see the scan's reasons); “Disable blockers…” disables what blocks it"},
		{"core 3.0.0 is an upgrade taken only on request (--include-upgrades core)", "core 3.0.0 is an upgrade taken only on request (plan it on the Upgrades screen)"},
		{"warehouse is not installed; request it too (--install warehouse)", "warehouse is not installed; install it too (on the host: upkeep apply --install warehouse)"},
		{"no change here", "no change here"},
	} {
		if got := presenter.Words(tc.in); got != tc.want {
			t.Errorf("Words(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

var option = regexp.MustCompile(`(^|[\s(])--(include-upgrades|disable-blockers)`)

// TestScreensSpeakTheWindowsWords: nothing the screens show from the
// recorded stories names a command-line option the window has a button for.
func TestScreensSpeakTheWindowsWords(t *testing.T) {
	for _, name := range []string{"demo-report.json", "after-core-report.json"} {
		rep := presentertest.Load[*api.SavedReport](name).Report
		var all []string
		for _, r := range slices.Concat(presenter.UpdateRows(rep), presenter.UpgradeRows(rep)) {
			all = append(all, r.Note, r.Needs)
		}
		for _, b := range presenter.BlockedRows(rep) {
			all = append(all, b.Reasons...)
			for _, bl := range b.Blockers {
				all = append(all, bl.WayOut)
			}
		}
		if m := option.FindString(strings.Join(all, "\n")); m != "" {
			t.Errorf("%s: the screens name %q:\n%s", name, m, strings.Join(all, "\n"))
		}
	}
}

func TestPickAndUnplanned(t *testing.T) {
	rep := presentertest.Load[*api.SavedReport]("after-core-report.json").Report
	arp := presentertest.Load[*api.Plan]("after-core-plan-arp.json")
	disable := presentertest.Load[*api.Plan]("after-core-plan-arp-disable.json")
	pick := presenter.Pick{Module: "arp", To: "2.0.0"}
	if pick.In(arp) || !pick.In(disable) || pick.In(nil) {
		t.Errorf("In: plan for arp %v, with disable %v", pick.In(arp), pick.In(disable))
	}
	req := api.PlanRequest{IncludeUpgrades: []string{"arp"}, Modules: []string{"arp"}}
	u := presenter.UnplannedOf(pick, req, arp, rep)
	if u.Title != "arp 2.0.0 cannot be applied as things stand" || !u.Disable || len(u.Reasons) != 2 {
		t.Errorf("unplanned %+v", u)
	}
	req.DisableBlockers = true
	if u := presenter.UnplannedOf(pick, req, arp, rep); u.Disable || !strings.Contains(strings.Join(u.Reasons, " "), "does not make it applicable either") {
		t.Errorf("with blockers disabled already: %+v", u)
	}
	if u := presenter.UnplannedOf(presenter.Pick{Module: "nosuch", To: "1.0.0"}, api.PlanRequest{}, arp, nil); len(u.Reasons) == 0 {
		t.Error("no reason at all for a pick the report does not know")
	}
}

func TestPlanStepsGroupByStep(t *testing.T) {
	got := presenter.PlanSteps(presentertest.Load[*api.Plan]("after-core-plan-arp-disable.json"))
	want := []presenter.Step{{Changes: []string{"core 2.50.22 ⟶ 3.0.0 (upgrade), 1 script", "arp 1.3.0 ⟶ 2.0.0 (upgrade)"}}}
	if len(got) != 1 || !slices.Equal(got[0].Changes, want[0].Changes) || got[0].Title != "" {
		t.Errorf("steps %q, want %q", got, want)
	}
}
