package views_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
	"github.com/upkeep-erp/upkeep/gui/views"
)

func tab(w *views.Window, screen string) string {
	for i, s := range views.Screens {
		if s == screen {
			return texts(w.Tabs.Items[i].Content)
		}
	}
	panic(screen)
}

func TestUpdatesListsTheChangesAndTheAgentsPlan(t *testing.T) {
	w := open(t, presentertest.NewDemo())
	wantContains(t, "Updates", tab(w, views.ScreenUpdates),
		"core   2.50.20 ⟶ 2.50.21", "patch · confirmed-stable · repository 2.50", "ERP core: fixes rounding of tax totals",
		"arp   1.3.0 ⟶ 1.4.0", "•  core 2.50.20 ⟶ 2.50.22 (update)", "[Apply…]", "[Rehearse…]")
	if w.Status.Text == "" || !strings.HasPrefix(w.Status.Text, "1 patch, 2 updates, 1 upgrade available · 1 blocked") {
		t.Errorf("status line %q", w.Status.Text)
	}
	if w.Banner.Visible() {
		t.Errorf("banner shown for an admin: %q", w.Banner.Text)
	}
}

func TestApplyReviewsThePlanThenFollowsTheRunToItsEnd(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Runs", nil)
	w := open(t, a)
	ended := now.Add(20 * time.Second)
	a.Set(func(a *presentertest.Agent) {
		a.RunEvents["7"] = []api.RunEvent{
			{Seq: 1, At: now, Step: "stop the ERP server", Status: "started"},
			{Seq: 2, At: now.Add(time.Second), Step: "stop the ERP server", Status: "done", Elapsed: 1},
			{Seq: 3, At: now.Add(2 * time.Second), Step: "update core, arp", Status: "started"},
			{Seq: 4, At: now.Add(3 * time.Second), Step: "update core, arp", Status: "log", Message: "updating core 2.50.22"},
		}
		a.RunList = []api.Run{{ID: "7", Kind: "apply", State: "succeeded", Started: now, Ended: &ended}}
	})
	test.Tap(w.Updates.Apply)
	if w.Prompt == nil {
		t.Fatalf("no confirmation; message %q", w.Message.Text)
	}
	if w.Prompt.Apply.Text != "Apply" || len(w.Prompt.Prompt.Steps) != 1 || len(w.Prompt.Prompt.Steps[0].Changes) != 2 {
		t.Errorf("prompt %+v", w.Prompt.Prompt)
	}
	test.Tap(w.Prompt.Apply)
	wantContains(t, "calls", calls(a), "Plan install=[] upgrades=[] disable=false",
		"Apply "+presentertest.Load[*api.Plan]("demo-plan.json").Hash+" install=[] upgrades=[] disable=false", "WatchRun 7 0", "Run 7")
	if views.Screens[w.Tabs.SelectedIndex()] != views.ScreenRun {
		t.Errorf("the window shows %s, want run", views.Screens[w.Tabs.SelectedIndex()])
	}
	run := tab(w, views.ScreenRun)
	wantContains(t, "Run", run, "Apply 7 succeeded in 20s", "stop the ERP server", "1s", "update core, arp")
	if w.Run.Cancel.Visible() {
		t.Error("Cancel is offered for a run that ended")
	}
}

func TestApplyNotAvailableSaysSoAndStaysPut(t *testing.T) {
	a := presentertest.NewDemo()
	a.Unavailable("Apply")
	w := open(t, a)
	test.Tap(w.Updates.Apply)
	test.Tap(w.Prompt.Apply)
	if !w.Message.Visible() || !strings.Contains(w.Message.Text, "does not offer it through the service yet") ||
		w.Message.Importance != widget.WarningImportance {
		t.Errorf("message %q (importance %v)", w.Message.Text, w.Message.Importance)
	}
	if views.Screens[w.Tabs.SelectedIndex()] != views.ScreenUpdates {
		t.Error("the window left the Updates screen although nothing started")
	}
}

func TestBlockedOffersUpdateBlockerAndTheEnforcedUpdatePrompt(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	wantContains(t, "Blocked", tab(w, views.ScreenBlocked),
		"core 3.0.0 is blocked by: arp 1.3.0", "arp 1.3.0 needs core>=2.50.0, i.e. <2.51",
		"Way out: upgrade arp to 2.0.0", "[Update blocker…]", "[Disable blockers and apply…]")
	test.Tap(w.Blocked.UpdateBlocker["arp"])
	wantContains(t, "calls", calls(a), "Plan install=[] upgrades=[arp] disable=false")
	test.Tap(w.Blocked.Enforce[0])
	p := w.Prompt
	if p == nil || p.Apply.Text != "Disable and apply" || p.Apply.Importance != widget.DangerImportance || !p.Apply.Disabled() {
		t.Fatalf("enforced prompt %+v: want a disabled “Disable and apply”", p)
	}
	wantContains(t, "prompt", texts(p.Body), "These modules will be disabled:", "reports 0.9.0: for core 3.0.0",
		"What this means for this ERP:", "rows are kept", "Step 2 of 2\n•  core 2.50.22 ⟶ 3.0.0 (upgrade), 1 script", "Downtime: not measured yet",
		"Yes, disable arp, localization-es and reports on this ERP")
	test.Tap(p.Acknowledge)
	if p.Apply.Disabled() {
		t.Error("ticking the acknowledgement did not enable Disable and apply")
	}
	test.Tap(p.Cancel)
	if strings.Contains(calls(a), "Apply") {
		t.Error("Cancel applied the plan")
	}
	test.Tap(w.Blocked.Enforce[0])
	test.Tap(w.Prompt.Apply) // not acknowledged: nothing happens
	if strings.Contains(calls(a), "Apply ") {
		t.Error("the enforced update was applied without the acknowledgement")
	}
	test.Tap(w.Prompt.Acknowledge)
	test.Tap(w.Prompt.Apply)
	wantContains(t, "calls", calls(a), "Apply "+presentertest.Load[*api.Plan]("demo-plan-disable.json").Hash+" install=[] upgrades=[] disable=true")
	test.Tap(w.Blocked.Enforce[0])
	test.Tap(w.Prompt.Rehearse)
	wantContains(t, "calls", calls(a), "Rehearse "+presentertest.Load[*api.Plan]("demo-plan-disable.json").Hash+" install=[] upgrades=[] disable=true")
}

func TestUpgradesMarkOnRequestAndPlanOnDemand(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	wantContains(t, "Upgrades", tab(w, views.ScreenUpgrades), "arp   1.3.0 ⟶ 2.0.0",
		"Not upgraded by default (default_upgrade = false)", "Needs first: core 3.0.0 needs 2.50.22 or later", "[See why it is blocked]")
	test.Tap(w.Upgrades.Plans[0])
	wantContains(t, "calls", calls(a), "Plan install=[] upgrades=[arp] disable=false")
	test.Tap(w.Upgrades.Plans[1])
	if views.Screens[w.Tabs.SelectedIndex()] != views.ScreenBlocked {
		t.Error("See why it is blocked did not open Blocked")
	}
}

func TestReadOnlyCallerSeesDisabledActionsThatSayHowToGetTheRight(t *testing.T) {
	a := presentertest.NewDemo()
	a.Set(func(a *presentertest.Agent) { a.Stat.Caller.CanAct = false })
	w := open(t, a)
	for name, b := range map[string]*views.ActionButton{"Apply": w.Updates.Apply, "Check now": w.Check, "Disable blockers": w.Blocked.Enforce[0],
		"Update blocker": w.Blocked.UpdateBlocker["arp"], "Plan this upgrade": w.Upgrades.Plans[0], "Save": w.Settings.Save} {
		if !b.Disabled() || !strings.Contains(b.Tip, "ask an admin to add you to group upkeep-admin") {
			t.Errorf("%s: disabled %v, tip %q", name, b.Disabled(), b.Tip)
		}
	}
	if !w.Banner.Visible() || !strings.Contains(w.Banner.Text, "group upkeep-admin") {
		t.Errorf("banner %q", w.Banner.Text)
	}
	w.Show(views.ScreenInstalled)
	if !w.Installed.Hold["arp"].Disabled() || !w.Installed.Override["arp"].Disabled() {
		t.Error("a read-only caller can change holds or overrides")
	}
}

func TestUnreachableAgentIsSaidAndActionsWait(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	a.Fail("Status", &api.UnreachableError{Path: "/run/upkeep/upkeep.sock", Err: errors.New("connection refused")})
	snap := poll(w, a)
	if snap.Conn != presenter.Offline || !w.Banner.Visible() || !strings.Contains(w.Banner.Text, "not answering") ||
		!strings.Contains(w.Banner.Text, "keeps trying") {
		t.Errorf("conn %v, banner %q", snap.Conn, w.Banner.Text)
	}
	if !strings.HasPrefix(w.Status.Text, "Agent unreachable: retrying in 1s") || !w.Check.Disabled() {
		t.Errorf("status %q, check disabled %v", w.Status.Text, w.Check.Disabled())
	}
	a.Fail("Status", nil)
	poll(w, a)
	if w.Banner.Visible() || w.Check.Disabled() {
		t.Errorf("after reconnecting: banner %q, check disabled %v", w.Banner.Text, w.Check.Disabled())
	}
}

func TestInstalledHoldsAndOverrides(t *testing.T) {
	a := presentertest.NewDemo()
	a.Set(func(a *presentertest.Agent) { a.HoldList = []api.Hold{{Module: "reports"}} })
	w := open(t, a)
	w.Show(views.ScreenInstalled)
	wantContains(t, "Installed", tab(w, views.ScreenInstalled), "core (core)", "2.50.20", "confirmed-stable", "Default upgrade")
	if !w.Installed.Hold["reports"].Checked || w.Installed.Hold["arp"].Checked {
		t.Error("holds not shown")
	}
	test.Tap(w.Installed.Hold["arp"])
	w.Installed.Override["core"].SetSelected("off")
	wantContains(t, "calls", calls(a), "SetHolds [+arp]", "SetOverrides map[core:false]")
	if !strings.Contains(w.Message.Text, "Default upgrade of core: off") {
		t.Errorf("message %q", w.Message.Text)
	}
	w.Installed.Override["core"].SetSelected("inherit")
	wantContains(t, "calls", calls(a), "SetOverrides map[core:inherit]")
}

func TestFailedRunShowsTheStepItsOutputAndTheRestore(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Runs", nil)
	ended := now.Add(time.Minute)
	step := "post core 2.50.22: migrations/2.50.22/post.sql"
	a.Set(func(a *presentertest.Agent) {
		a.RunEvents["7"] = []api.RunEvent{
			{Seq: 1, Step: step, Status: "started"},
			{Seq: 2, Step: step, Status: "log", Message: "Error: no such table: settings"},
			{Seq: 3, Step: step, Status: "failed", Message: "exit status 1"},
			{Seq: 4, Step: "restore the database", Status: "done", Elapsed: 0.4},
		}
		a.RunList = []api.Run{{ID: "7", Kind: "apply", State: "failed-restored", Step: step, Started: now, Ended: &ended}}
	})
	w := open(t, a)
	w.Run.Follow(api.Run{ID: "7", Kind: "apply", State: "running", Started: now})
	if !w.Run.Failure.Visible() {
		t.Fatal("the failure is not shown")
	}
	wantContains(t, "failure", texts(w.Run.Failure), "Failed step: "+step, "Error: no such table: settings", "exit status 1",
		"The instance was restored")
	if got := w.Run.Headline.Text; got != "Apply 7 failed; the instance was restored to how it was before" {
		t.Errorf("headline %q", got)
	}
}

func TestCancelRefusedPastThePointOfNoReturn(t *testing.T) {
	a := presentertest.NewDemo()
	a.Unavailable("WatchRun")
	a.Fail("Cancel", &api.ConflictError{Message: "run 7 is past its point of no return: it can no longer be cancelled", RunID: "7"})
	w := open(t, a)
	w.Run.Follow(api.Run{ID: "7", Kind: "apply", State: "running", Started: now})
	if !w.Run.Cancel.Visible() || w.Run.Cancel.Disabled() {
		t.Fatal("Cancel is not offered for a running run")
	}
	wantContains(t, "run info", w.Run.Info.Text, "Live progress: this agent does not offer it through the service yet")
	test.Tap(w.Run.Cancel)
	if w.Run.Cancel.Visible() || !strings.Contains(w.Message.Text, "point of no return") {
		t.Errorf("cancel visible %v, message %q", w.Run.Cancel.Visible(), w.Message.Text)
	}
}

func TestHistoryShowsRunsWithStepTimingsOrSaysItIsNotAvailable(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	w.Show(views.ScreenHistory)
	wantContains(t, "History", tab(w, views.ScreenHistory), "The run history is not available from this agent yet", "`upkeep history`")
	ended := now.Add(-time.Hour + 42*time.Second)
	a.Fail("Runs", nil)
	a.Set(func(a *presentertest.Agent) {
		a.RunList = []api.Run{{ID: "3", Kind: "rehearse", State: "succeeded", PlanHash: "abcdef0123456789", By: "admin", Started: now.Add(-time.Hour), Ended: &ended}}
		a.RunEvents["3"] = []api.RunEvent{
			{Seq: 1, Step: "backup the database", Status: "done", Elapsed: 2.5},
			{Seq: 2, Step: "record the new versions, the history and the settings drift", Status: "log", Message: "drift: menu 'Reports' removed"},
			{Seq: 3, Step: "record the new versions, the history and the settings drift", Status: "done", Elapsed: 0.1},
		}
		a.EventList = []api.Event{{ID: 1, At: now, Kind: "applied", Severity: "info", Summary: "rehearsal 3 passed"}}
	})
	w.History.Load()
	wantContains(t, "History", tab(w, views.ScreenHistory), "abcdef012345", "rehearse", "succeeded", "42s", "admin", "rehearsal 3 passed")
	test.Tap(w.History.Details["3"])
	w.History.Steps.OpenAll()
	wantContains(t, "run detail", texts(w.History.Detail), "Rehearsal 3 succeeded in 42s", "done · backup the database · 2.5s",
		"drift: menu 'Reports' removed")
}

func TestSettingsSummaryAndSave(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	w.Show(views.ScreenSettings)
	f := w.Settings.Form
	if f.Windows.Text != "Sat 02:00-04:00" || f.Every.Text != "6h" || f.Patches.Selected != "apply" || f.Updates.Selected != "notify" ||
		f.Upgrades.Selected != "notify" || !f.RequireRehearsal.Checked || f.WebhookURL.Text != "" {
		t.Errorf("form: windows %q, every %q, policy %s/%s/%s, rehearsal %v, webhook %q", f.Windows.Text, f.Every.Text,
			f.Patches.Selected, f.Updates.Selected, f.Upgrades.Selected, f.RequireRehearsal.Checked, f.WebhookURL.Text)
	}
	wantContains(t, "Settings", tab(w, views.ScreenSettings), "Subscribed repositories: the installed core's series and newer (default) at http://127.0.0.1:8480",
		"Maturity minimums: install: confirmed-stable (default)")
	test.Type(w.Settings.Editor, "# edited\n")
	test.Tap(w.Settings.Save)
	wantContains(t, "calls", calls(a), "SetSettings r1")
	if !strings.Contains(w.Message.Text, "Settings saved") {
		t.Errorf("message %q", w.Message.Text)
	}
	a.Set(func(a *presentertest.Agent) { a.Conf.Revision = "changed elsewhere" })
	test.Tap(w.Settings.Save)
	if !strings.Contains(w.Message.Text, "changed meanwhile") || w.Message.Importance != widget.DangerImportance {
		t.Errorf("stale save: message %q", w.Message.Text)
	}
}

func TestCheckNowScans(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	scanned := false
	w.OnScanned = func() { scanned = true }
	test.Tap(w.Check)
	if !strings.Contains(calls(a), "Scan [] []") || !scanned || !strings.Contains(w.Message.Text, "Checked") {
		t.Errorf("calls %q, scanned %v, message %q", a.Called(), scanned, w.Message.Text)
	}
}

func TestShowRefusesAnUnknownScreen(t *testing.T) {
	w := open(t, presentertest.NewDemo())
	if err := w.Show("nope"); err == nil || !strings.Contains(err.Error(), "updates, upgrades, blocked") {
		t.Errorf("Show(nope) = %v", err)
	}
}

func TestAgentNeverReachedSaysNotConnected(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Status", &api.UnreachableError{Path: "/run/upkeep/upkeep.sock", Err: errors.New("no such file")})
	w := open(t, a)
	for _, screen := range []string{views.ScreenUpdates, views.ScreenUpgrades, views.ScreenBlocked} {
		wantContains(t, screen, tab(w, screen), "Not connected to the agent yet.")
	}
	wantContains(t, "banner", w.Banner.Text, "not answering at /run/upkeep/upkeep.sock", "upkeep service start")
}

// TestUpdatesApplyTakesOnlyTheTickedRows: unticking a row makes Apply plan
// only the ticked modules (and what they need), and with nothing ticked
// Apply and Rehearse are disabled.
func TestUpdatesApplyTakesOnlyTheTickedRows(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	u := w.Updates
	if len(u.Ticks) != len(u.Rows) || len(u.Rows) < 2 {
		t.Fatalf("%d ticks for %d rows", len(u.Ticks), len(u.Rows))
	}
	keep := -1
	for i, r := range u.Rows {
		if r.Module == "arp" {
			keep = i
		}
	}
	if keep < 0 {
		t.Fatalf("no arp row in %+v", u.Rows)
	}
	want := api.PlanRequest{Modules: []string{"arp"}}
	a.Set(func(a *presentertest.Agent) {
		a.Plans[presentertest.PlanKey(want)] = presentertest.Load[*api.Plan]("demo-plan.json")
	})
	for i, tick := range u.Ticks {
		if i != keep {
			test.Tap(tick)
		}
	}
	if got := u.Request(); !slices.Equal(got.Modules, want.Modules) {
		t.Fatalf("request = %+v, want %+v", got, want)
	}
	test.Tap(u.Apply)
	wantContains(t, "calls", calls(a), "Plan "+presentertest.PlanKey(want))
	test.Tap(u.Ticks[keep])
	if !u.Apply.Disabled() || !u.Rehearse.Disabled() {
		t.Error("Apply or Rehearse enabled with nothing ticked")
	}
}
