package presenter_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
)

func TestUpdateRowsListPatchesThenUpdates(t *testing.T) {
	rows := presenter.UpdateRows(presentertest.DemoReport().Report)
	var got []string
	for _, r := range rows {
		got = append(got, r.Module+" "+r.Change+" "+r.Kind+" "+r.Maturity)
	}
	want := []string{
		"core 2.50.20 ⟶ 2.50.21 patch confirmed-stable",
		"arp 1.3.0 ⟶ 1.4.0 update confirmed-stable",
		"core 2.50.20 ⟶ 2.50.22 update confirmed-stable",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	if rows[0].Summary != "ERP core: fixes rounding of tax totals" {
		t.Errorf("summary %q", rows[0].Summary)
	}
}

func TestUpgradeRowsMarkOnRequestAndSayWhatComesFirst(t *testing.T) {
	rows := presenter.UpgradeRows(presentertest.DemoReport().Report)
	if len(rows) != 2 {
		t.Fatalf("rows %+v, want arp 2.0.0 and core 3.0.0", rows)
	}
	arp, core := rows[0], rows[1]
	if arp.Module != "arp" || !arp.OnRequest || !strings.Contains(arp.Note, "default_upgrade") {
		t.Errorf("arp row %+v: want it marked as taken only on request", arp)
	}
	if core.Module != "core" || core.OnRequest || !core.Blocked || !strings.Contains(core.Needs, "update core to 2.50.22 first") {
		t.Errorf("core row %+v: want it blocked, needing core 2.50.22 first", core)
	}
}

func TestBlockedRowsCarryReasonsBlockersAndWaysOut(t *testing.T) {
	rows := presenter.BlockedRows(presentertest.DemoReport().Report)
	if len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	b := rows[0]
	if b.Change != "2.50.20 ⟶ 3.0.0" || !b.Resolvable || strings.Join(b.Disable, ",") != "arp,localization-es,reports" {
		t.Errorf("row %+v", b)
	}
	if len(b.Reasons) != 4 || len(b.Blockers) != 3 {
		t.Fatalf("reasons %q, blockers %+v", b.Reasons, b.Blockers)
	}
	arp := b.Blockers[0]
	if arp.Module != "arp" || !arp.Upgrade || !strings.HasPrefix(arp.WayOut, "upgrade arp to 2.0.0") {
		t.Errorf("arp blocker %+v", arp)
	}
	if req, pick := presenter.UpdateBlocker(arp); !reflect.DeepEqual(req.IncludeUpgrades, []string{"arp"}) ||
		!reflect.DeepEqual(req.Modules, []string{"arp"}) || pick != (presenter.Pick{Module: "arp", To: "2.0.0"}) {
		t.Errorf("Update blocker plans %+v for %v, want include_upgrades=arp, modules=arp for arp 2.0.0", req, pick)
	}
	if b.Blockers[1].WayOut != "" {
		t.Errorf("localization-es has no way out, got %q", b.Blockers[1].WayOut)
	}
}

func TestEnforcePromptNamesTheModulesTheMeaningAndTheDowntime(t *testing.T) {
	plan := presentertest.Load[*api.Plan]("demo-plan-disable.json")
	p := presenter.EnforcePrompt(plan, presenter.Context{ERP: "demo"})
	if p.Confirm != "Disable and apply" || p.Acknowledge != "Yes, disable arp, localization-es and reports on this ERP" {
		t.Errorf("confirm %q, acknowledge %q", p.Confirm, p.Acknowledge)
	}
	if len(p.Disable) != 3 || p.Disable[2] != "reports 0.9.0: for core 3.0.0: needs core 2.50.*, but core must leave that range" {
		t.Errorf("disable lines %q", p.Disable)
	}
	if !strings.Contains(p.Meaning, "rows are kept") || !strings.Contains(p.Meaning, "menus") {
		t.Errorf("meaning %q: want what happens to the data and the menus", p.Meaning)
	}
	want := []presenter.Step{{Title: "Step 1 of 2", Changes: []string{"core 2.50.20 ⟶ 2.50.22 (update), 2 scripts"}},
		{Title: "Step 2 of 2", Changes: []string{"core 2.50.22 ⟶ 3.0.0 (upgrade), 1 script"}}}
	if !reflect.DeepEqual(p.Steps, want) {
		t.Errorf("steps %q, want %q", p.Steps, want)
	}
	if !strings.Contains(p.Downtime, "not measured yet") {
		t.Errorf("downtime %q", p.Downtime)
	}
	measured := *plan
	measured.Estimate = api.Estimate{Basis: "rehearsal", Downtime: 12.4, Total: 31, RunIDs: []string{"4"}, Note: "measured on rehearsal 4 of this plan"}
	if got := presenter.EnforcePrompt(&measured, presenter.Context{ERP: "tryton"}); got.Downtime != "Downtime: about 12s, 31s for the whole run (measured on rehearsal 4 of this plan)." ||
		!strings.Contains(got.Meaning, "Tryton") {
		t.Errorf("measured: %q / %q", got.Downtime, got.Meaning)
	}
}

func TestDowntimeTextSaysTheAgentsEstimate(t *testing.T) {
	cases := []struct {
		est  api.Estimate
		want string
	}{
		{api.Estimate{}, "Downtime: not measured yet on this instance — rehearse the plan first to time every step."},
		{api.Estimate{Basis: "none", Note: "no history yet: rehearse the plan to time every step on a copy"},
			"Downtime: not measured yet on this instance — no history yet: rehearse the plan to time every step on a copy."},
		{api.Estimate{Basis: "applies", Downtime: 0.0354, Total: 200, Note: "from 3 applies"},
			"Downtime: about 35ms, 3m20s for the whole run (from 3 applies)."},
	}
	for _, tc := range cases {
		if got := presenter.DowntimeText(tc.est); got != tc.want {
			t.Errorf("DowntimeText(%+v) = %q, want %q", tc.est, got, tc.want)
		}
	}
	plan := presentertest.Load[*api.Plan]("demo-plan.json")
	plan.Estimate = api.Estimate{Basis: "applies", Downtime: 8, Total: 20, Note: "from 1 apply"}
	if got := presenter.PlanPrompt(plan, presenter.Context{ERP: "demo"}).Downtime; got != "Downtime: about 8s, 20s for the whole run (from 1 apply)." {
		t.Errorf("the plan prompt's downtime %q: want the agent's estimate", got)
	}
}

func TestSelectedRequestPlansTheTickedModules(t *testing.T) {
	rows := presenter.UpdateRows(presentertest.DemoReport().Report) // core 2.50.21 (patch), arp 1.4.0, core 2.50.22
	cases := []struct {
		name   string
		ticked []bool
		want   api.PlanRequest
	}{
		{"nothing ticked: the whole plan", nil, api.PlanRequest{}},
		{"a patch alone", []bool{true}, api.PlanRequest{PatchesOnly: true, Modules: []string{"core"}}},
		{"an update", []bool{false, true}, api.PlanRequest{Modules: []string{"arp"}}},
		{"a patch and an update of the same module", []bool{true, false, true}, api.PlanRequest{Modules: []string{"core"}}},
		{"every row", []bool{true, true, true}, api.PlanRequest{Modules: []string{"core", "arp"}}},
	}
	for _, tc := range cases {
		if got := presenter.SelectedRequest(rows, tc.ticked); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestProgressFollowsARunToItsRestoredFailure(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	p := presenter.NewProgress(api.Run{ID: "8", Kind: "apply", State: "running", Started: start})
	for _, ev := range []api.RunEvent{
		{Seq: 1, Step: "stop the ERP server", Status: "started"},
		{Seq: 2, Step: "stop the ERP server", Status: "done", Elapsed: 1.5},
		{Seq: 3, Step: "post core 2.50.22: migrations/2.50.22/post.sql", Status: "started"},
		{Seq: 4, Step: "post core 2.50.22: migrations/2.50.22/post.sql", Status: "log", Message: "Error: no such table: settings"},
		{Seq: 4, Step: "post core 2.50.22: migrations/2.50.22/post.sql", Status: "log", Message: "duplicate"},
	} {
		p.Add(ev)
	}
	name, out := p.Current(5)
	if name != "post core 2.50.22: migrations/2.50.22/post.sql" || len(out) != 1 || !p.CanCancel() {
		t.Errorf("current %q %q, cancel %v", name, out, p.CanCancel())
	}
	if p.Steps[0].Elapsed != 1500*time.Millisecond || p.Steps[0].Status != "done" {
		t.Errorf("first step %+v", p.Steps[0])
	}
	p.Add(api.RunEvent{Seq: 5, Step: "post core 2.50.22: migrations/2.50.22/post.sql", Status: "failed", Message: "exit status 1", Elapsed: 0.2})
	p.Add(api.RunEvent{Seq: 6, Step: "restore the database", Status: "started"})
	p.Add(api.RunEvent{Seq: 7, Step: "restore the database", Status: "done", Elapsed: 0.4})
	ended := time.Now()
	p.Finish(api.Run{ID: "8", Kind: "apply", State: "failed-restored", Started: start, Ended: &ended, Step: "post core 2.50.22: migrations/2.50.22/post.sql"})
	failed, ok := p.Failed()
	if !ok || failed.Name != "post core 2.50.22: migrations/2.50.22/post.sql" || strings.Join(failed.Output, "|") != "Error: no such table: settings|exit status 1" {
		t.Errorf("failed step %+v %v", failed, ok)
	}
	if p.CanCancel() || p.Headline(time.Now()) != "Apply 8 failed; the instance was restored to how it was before" {
		t.Errorf("cancel %v, headline %q", p.CanCancel(), p.Headline(time.Now()))
	}
}

func TestProgressStopsOfferingCancelOnceRefused(t *testing.T) {
	p := presenter.NewProgress(api.Run{ID: "1", State: "running"})
	p.CancelRefused = "past the point of no return"
	if p.CanCancel() {
		t.Error("Cancel is still offered after the agent refused it")
	}
}

func TestInstalledRowsJoinHoldsOverridesAndTheReport(t *testing.T) {
	a := presentertest.NewDemo()
	holds := []api.Hold{{Module: "reports", Reason: "custom code"}}
	ov := &api.Overrides{DefaultUpgrade: map[string]string{"arp": "true", "core": "false"}}
	rows := presenter.InstalledRows(a.Mods, a.Saved.Report, holds, ov)
	got := map[string]presenter.InstalledRow{}
	for _, r := range rows {
		got[r.Module] = r
	}
	if r := got["arp"]; r.DefaultUpgrade != "on" || r.Repository != "2.50" || r.Maturity != "confirmed-stable" || r.Source != "disk" {
		t.Errorf("arp %+v", r)
	}
	if r := got["core"]; r.DefaultUpgrade != "off" || !r.Core {
		t.Errorf("core %+v", r)
	}
	if r := got["reports"]; !r.Held || r.HoldReason != "custom code" || r.DefaultUpgrade != "inherit" || r.Repository != "" {
		t.Errorf("reports %+v", r)
	}
	if ch := presenter.OverrideChange("arp", "off"); ch.DefaultUpgrade["arp"] != "false" {
		t.Errorf("override change %+v", ch)
	}
	if ch := presenter.HoldChange("arp", false); !reflect.DeepEqual(ch.Unhold, []string{"arp"}) {
		t.Errorf("hold change %+v", ch)
	}
}

func TestDisabledNotesSayWhetherAModuleCanComeBack(t *testing.T) {
	rep := &api.Report{Disabled: []scan.DisabledModule{
		{Module: "localization-es", Version: catalog.MustParseVersion("1.2.0"),
			Offer: scan.NewModule{Module: "localization-es", Version: catalog.MustParseVersion("1.2.0.1"), Maturity: catalog.MaturityConfirmedStable, Stage: 1}},
		{Module: "reports", Version: catalog.MustParseVersion("0.9.0"),
			Offer: scan.NewModule{Module: "reports", Reasons: []string{"reports 0.9.0 needs core 2.50.*"}}},
	}}
	got := presenter.DisabledNotes(rep)
	want := []string{
		"localization-es 1.2.0 was disabled by Upkeep (its data is kept): 1.2.0.1 (confirmed-stable) can be installed again: upkeep apply --install localization-es",
		"reports 0.9.0 was disabled by Upkeep (its data is kept): no version can be installed again as things stand; reports 0.9.0 needs core 2.50.*",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notes:\n%q\nwant\n%q", got, want)
	}
	if presenter.DisabledNotes(nil) != nil {
		t.Error("no report: want no notes")
	}
}

func TestSettingsSummary(t *testing.T) {
	lines, err := presenter.SettingsSummary(presentertest.DemoSettings)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range lines {
		got[l.Name] = l.Value
	}
	for name, want := range map[string]string{
		"Schedule":                      "scan every 6h",
		"Maintenance windows":           "Sat 02:00-04:00",
		"Silent patch policy":           "patches: apply · updates: notify · upgrades: notify",
		"Rehearsal before silent apply": "required: the same plan must pass a rehearsal",
		"Subscribed repositories":       "the installed core's series and newer (default) at http://127.0.0.1:8480",
		"Maturity minimums":             "install: confirmed-stable (default) · update: confirmed-stable (default)",
	} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	if g := presenter.AdminGroup(presentertest.DemoSettings); g != "upkeep-admin" {
		t.Errorf("admin group %q", g)
	}
	if tip := presenter.ReadOnlyTip("upkeep-admin"); !strings.Contains(tip, "ask an admin to add you to group upkeep-admin") {
		t.Errorf("tip %q", tip)
	}
	if _, err := presenter.SettingsSummary("[schedule\nevery = 1"); err == nil || !strings.Contains(err.Error(), "fix it") {
		t.Errorf("broken file: %v, want an error saying to fix it", err)
	}
}

func FuzzSettingsSummary(f *testing.F) {
	f.Add(presentertest.DemoSettings)
	f.Add("[policy.maturity]\narp = \"beta\"\n[[repository.private]]\nname = \"acme\"\nurl = \"https://x\"\n")
	f.Add("[schedule]\ncron = \"0 3 * * *\"\njitter = \"5m\"\n")
	f.Add("[api\n")
	f.Fuzz(func(t *testing.T, text string) {
		lines, err := presenter.SettingsSummary(text)
		if err == nil && len(lines) != 6 {
			t.Errorf("%d lines, want 6", len(lines))
		}
		presenter.AdminGroup(text)
	})
}

// TestTargetStepsNameEachStepOnce: the changes of one step are listed
// under it, not each with "step 1" again; a plan of one step has no title.
func TestTargetStepsNameEachStepOnce(t *testing.T) {
	got := presenter.TargetSteps(presentertest.DemoReport().Report)
	want := []presenter.Step{{Changes: []string{"arp 1.3.0 ⟶ 1.4.0 (update)", "core 2.50.20 ⟶ 2.50.22 (update)"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("target %q, want %q", got, want)
	}
}
