package views_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
	"github.com/upkeep-erp/upkeep/gui/views"
)

// The tests of this file each hold one of issue 18's tray defects.

// planOf finds the plan recorded for a request, by its hash.
func hashOf(name string) string { return presentertest.Load[*api.Plan](name).Hash }

// TestPlanThisUpgradeNeverOffersAnotherChange: after core 2.50.22, arp
// 2.0.0 cannot be applied as things stand and the agent's plan for it
// holds arp 1.4.0 only. The window must not offer to apply that: it says
// why, offers the ways forward as buttons, and the enforced prompt they
// lead to holds arp 2.0.0.
func TestPlanThisUpgradeNeverOffersAnotherChange(t *testing.T) {
	a := presentertest.NewAfterCore()
	w := open(t, a)
	var plan *views.ActionButton
	for i, r := range w.Upgrades.Rows {
		if r.Module == "arp" && r.To == "2.0.0" {
			plan = w.Upgrades.Plans[i]
		}
	}
	if plan == nil {
		t.Fatalf("no Plan this upgrade for arp 2.0.0 in %+v", w.Upgrades.Rows)
	}
	test.Tap(plan)
	if w.Prompt != nil {
		t.Fatalf("a confirmation %q opened for a plan without arp 2.0.0: %+v", w.Prompt.Prompt.Title, w.Prompt.Prompt.Steps)
	}
	u := w.Unplanned
	if u == nil || u.Info.Title != "arp 2.0.0 cannot be applied as things stand" || u.Disable == nil || u.Rehearse == nil {
		t.Fatalf("unplanned %+v: want why arp 2.0.0 cannot be applied, with the ways forward", u)
	}
	why := strings.Join(u.Info.Reasons, "\n")
	wantContains(t, "why", why, "arp 2.0.0 needs core>=3.0.0", "It needs core 3.0.0, which is blocked: core 3.0.0 is blocked by: arp 1.3.0")
	if strings.Contains(why, "--") || strings.Contains(why, "arp 1.4.0") {
		t.Errorf("why names a command-line option or another change:\n%s", why)
	}
	test.Tap(u.Rehearse)
	wantContains(t, "calls", calls(a), "Rehearse "+hashOf("after-core-plan-arp-disable.json")+" install=[] upgrades=[arp] disable=true modules=[arp]")
	test.Tap(plan)
	test.Tap(w.Unplanned.Disable)
	p := w.Prompt
	if p == nil || p.Plan.Hash != hashOf("after-core-plan-arp-disable.json") || p.Apply.Text != "Disable and apply" || !p.Apply.Disabled() {
		t.Fatalf("the way forward opened %+v: want the enforced prompt of arp 2.0.0 with blockers disabled", p)
	}
	wantContains(t, "prompt", texts(p.Body), "arp 1.3.0 ⟶ 2.0.0 (upgrade)", "core 2.50.22 ⟶ 3.0.0 (upgrade)", "localization-es 1.2.0", "reports 0.9.0")
	if strings.Contains(calls(a), "Apply ") {
		t.Error("something was applied")
	}
}

// TestUpdateBlockerNeverOffersAnotherChange: the Blocked screen's "Update
// blocker…" for arp (its way out is arp 2.0.0) behaves the same.
func TestUpdateBlockerNeverOffersAnotherChange(t *testing.T) {
	a := presentertest.NewAfterCore()
	w := open(t, a)
	b := w.Blocked.UpdateBlocker["arp"]
	if b == nil {
		t.Fatal("no Update blocker for arp")
	}
	test.Tap(b)
	if w.Prompt != nil || w.Unplanned == nil || w.Unplanned.Info.Title != "arp 2.0.0 cannot be applied as things stand" {
		t.Fatalf("prompt %v, unplanned %+v", w.Prompt, w.Unplanned)
	}
}

// TestUntickingChangesThePlanShown: the plan on the Updates screen is the
// plan of the ticked rows, not the agent's whole plan.
func TestUntickingChangesThePlanShown(t *testing.T) {
	a := presentertest.NewDemo()
	arpOnly := *presentertest.Load[*api.Plan]("demo-plan.json")
	arpOnly.Hash = "arp-only"
	arpOnly.Changes = []api.PlannedChange{arpOnly.Changes[1]}
	a.Set(func(a *presentertest.Agent) {
		a.Plans[presentertest.PlanKey(api.PlanRequest{Modules: []string{"arp"}})] = &arpOnly
	})
	w := open(t, a)
	u := w.Updates
	wantContains(t, "plan", texts(u.Plan), "core 2.50.20 ⟶ 2.50.22 (update)", "arp 1.3.0 ⟶ 1.4.0 (update)")
	for i, r := range u.Rows {
		if r.Module == "core" {
			test.Tap(u.Ticks[i])
		}
	}
	got := texts(u.Plan)
	if strings.Contains(got, "core") || !strings.Contains(got, "arp 1.3.0 ⟶ 1.4.0 (update)") {
		t.Errorf("with core unticked the plan shows:\n%s", got)
	}
	for _, tick := range u.Ticks {
		if !tick.Checked {
			test.Tap(tick)
		}
	}
	wantContains(t, "plan, all ticked again", texts(u.Plan), "core 2.50.20 ⟶ 2.50.22 (update)")
}

// TestMessagesGoWithTheirScreen: an error said on one screen does not stay
// on the others.
func TestMessagesGoWithTheirScreen(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	w.Show(views.ScreenSettings)
	a.Set(func(a *presentertest.Agent) { a.Conf.Revision = "changed elsewhere" })
	test.Tap(w.Settings.Save)
	if !w.Message.Visible() || w.Message.Importance != widget.DangerImportance {
		t.Fatalf("no error after a stale save: %q", w.Message.Text)
	}
	for _, s := range []string{views.ScreenUpdates, views.ScreenBlocked} {
		w.Show(s)
		if w.Message.Visible() {
			t.Errorf("the Settings error %q shows on %s", w.Message.Text, s)
		}
	}
}

// TestWindowGoesSmall: no screen keeps the window larger than 640×480.
func TestWindowGoesSmall(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Runs", nil)
	w := open(t, a)
	for _, s := range views.Screens {
		w.Show(s)
		if m := w.Win.Content().MinSize(); m.Width > 640 || m.Height > 480 {
			t.Errorf("on %s the window cannot go below %v", s, m)
		}
	}
}

// TestDisabledButtonsTipStaysInTheWindow: the tip of a disabled button at
// the window's right edge is moved left and wrapped to stay inside.
func TestDisabledButtonsTipStaysInTheWindow(t *testing.T) {
	a := presentertest.NewDemo()
	a.Set(func(a *presentertest.Agent) { a.Stat.Caller.CanAct = false })
	w := open(t, a)
	w.Win.Resize(fyne.NewSize(700, 500))
	apply := w.Updates.Apply
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(apply)
	test.MoveMouse(w.Win.Canvas(), pos.Add(fyne.NewPos(5, 5)))
	tip := apply.Popup()
	if tip == nil {
		t.Fatal("no tip shown")
	}
	at, size, c := tip.Content.Position(), tip.Content.Size(), w.Win.Canvas().Size()
	if at.X < 0 || at.Y < 0 || at.X+size.Width > c.Width+1 || at.Y+size.Height > c.Height+1 {
		t.Errorf("the tip at %v of %v leaves the %v window", at, size, c)
	}
	for _, tc := range []struct{ pos, want fyne.Position }{
		{fyne.NewPos(600, 100), fyne.NewPos(340, 132)}, // moved left
		{fyne.NewPos(10, 100), fyne.NewPos(10, 132)},   // under the button
		{fyne.NewPos(10, 470), fyne.NewPos(10, 368)},   // above: no room below
	} {
		if got := views.TipPosition(tc.pos, fyne.NewSize(80, 30), fyne.NewSize(360, 100), fyne.NewSize(700, 500)); got != tc.want {
			t.Errorf("TipPosition(%v) = %v, want %v", tc.pos, got, tc.want)
		}
	}
}

// TestStatusLineEndsWithTheRun: when the Run screen sees its run end, the
// status line stops saying it is running, before the agent is polled again.
func TestStatusLineEndsWithTheRun(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Runs", nil)
	w := open(t, a)
	ended := now.Add(5 * time.Second)
	run := api.Run{ID: "7", Kind: "apply", State: "running", Step: "stop the ERP server", Started: now}
	a.Set(func(a *presentertest.Agent) { a.Stat.Running = &run })
	poll(w, a)
	if !strings.HasPrefix(w.Status.Text, "Applying: stop the ERP server") {
		t.Fatalf("status %q while running", w.Status.Text)
	}
	polled := false
	w.OnEnded = func() { polled = true }
	a.Set(func(a *presentertest.Agent) {
		a.RunEvents["7"] = []api.RunEvent{{Seq: 1, Step: "stop the ERP server", Status: "done", Elapsed: 1}}
		done := run
		done.State, done.Ended, done.Step = "succeeded", &ended, ""
		a.RunList = []api.Run{done}
	})
	w.Run.Follow(run)
	if got := w.Run.Headline.Text; got != "Apply 7 succeeded in 5s" {
		t.Fatalf("headline %q", got)
	}
	if strings.HasPrefix(w.Status.Text, "Applying") || !polled {
		t.Errorf("after the run ended: status %q, the agent polled again %v", w.Status.Text, polled)
	}
}

// TestTappingTheSentenceTicksTheBox: the acknowledgement's sentence ticks
// its box like the box itself.
func TestTappingTheSentenceTicksTheBox(t *testing.T) {
	w := open(t, presentertest.NewDemo())
	test.Tap(w.Blocked.Enforce[0])
	p := w.Prompt
	if p == nil || p.AckText == nil {
		t.Fatal("no acknowledgement")
	}
	test.Tap(p.AckText)
	if !p.Acknowledge.Checked || p.Apply.Disabled() {
		t.Error("tapping the sentence did not tick the box")
	}
	test.Tap(p.AckText)
	if p.Acknowledge.Checked || !p.Apply.Disabled() {
		t.Error("tapping the sentence again did not untick the box")
	}
}

// TestNothingToApplyIsNotSaidWhileNotConnected: not connected, the screens
// say so, not that there is nothing to apply.
func TestNothingToApplyIsNotSaidWhileNotConnected(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Status", &api.UnreachableError{Path: "/run/upkeep/upkeep.sock", Err: errors.New("no such file")})
	w := open(t, a)
	if got := tab(w, views.ScreenUpdates); strings.Contains(got, "Nothing to apply") {
		t.Errorf("Updates says nothing to apply while not connected:\n%s", got)
	}
	if strings.Contains(w.Updates.Apply.Tip, "Nothing to apply") || !strings.Contains(w.Updates.Apply.Tip, "not connected") {
		t.Errorf("Apply's tip %q", w.Updates.Apply.Tip)
	}
}

// TestRetryCountsDownAndRetryNow: while the agent does not answer, the
// status line counts down to the next try, and Retry now tries at once.
func TestRetryCountsDownAndRetryNow(t *testing.T) {
	a := presentertest.NewDemo()
	w := open(t, a)
	a.Fail("Status", &api.UnreachableError{Path: "/run/upkeep/upkeep.sock", Err: errors.New("connection refused")})
	m := &presenter.Monitor{Client: a, OnChange: w.Update, Now: func() time.Time { return now }}
	m.Init()
	for range 5 { // the wait grows to 16 s
		m.Step(context.Background())
	}
	if w.Status.Text != "Agent unreachable: retrying in 16s" || !w.Retry.Visible() {
		t.Fatalf("status %q, retry shown %v", w.Status.Text, w.Retry.Visible())
	}
	w.Tick(now.Add(10 * time.Second))
	if w.Status.Text != "Agent unreachable: retrying in 6s" {
		t.Errorf("after 10 s the status says %q", w.Status.Text)
	}
	retried := false
	w.OnRetry = func() { retried = true }
	test.Tap(w.Retry)
	if !retried {
		t.Error("Retry now did not ask the agent again")
	}
	a.Fail("Status", nil)
	poll(w, a)
	if w.Retry.Visible() {
		t.Error("Retry now is still shown after the agent answered")
	}
}

// cliOption is a command-line option's shape: what the window must not show.
var cliOption = regexp.MustCompile(`(^|[\s(])--[a-z]`)

// TestNoCommandLineTextInTheWindow: every screen, over both recorded
// stories, speaks of its own buttons, not of the command line's options.
func TestNoCommandLineTextInTheWindow(t *testing.T) {
	for name, a := range map[string]*presentertest.Agent{"demo": presentertest.NewDemo(), "after core": presentertest.NewAfterCore()} {
		w := open(t, a)
		for _, s := range views.Screens {
			w.Show(s)
			if m := cliOption.FindString(tab(w, s)); m != "" {
				t.Errorf("%s, %s names a command-line option:\n%s", name, s, tab(w, s))
			}
		}
		test.Tap(w.Upgrades.Plans[0])
		for _, o := range []*fyne.Container{promptBody(w), unplannedBody(w)} {
			if o != nil && cliOption.MatchString(texts(o)) {
				t.Errorf("%s: the dialog names a command-line option:\n%s", name, texts(o))
			}
		}
	}
}

func promptBody(w *views.Window) *fyne.Container {
	if w.Prompt == nil {
		return nil
	}
	return w.Prompt.Body
}

func unplannedBody(w *views.Window) *fyne.Container {
	if w.Unplanned == nil {
		return nil
	}
	box := &fyne.Container{}
	for _, r := range w.Unplanned.Info.Reasons {
		box.Objects = append(box.Objects, widget.NewLabel(r))
	}
	return box
}

// TestConfirmSaysPlainlyWhatApplyingDoes: before Apply, the window says
// the ERP will be stopped and backed up, and for about how long.
func TestConfirmSaysPlainlyWhatApplyingDoes(t *testing.T) {
	a := presentertest.NewDemo()
	plan := presentertest.Load[*api.Plan]("demo-plan.json")
	plan.Estimate = api.Estimate{Basis: "rehearsal", Downtime: 42, Total: 95, Note: "measured on rehearsal 3 of this plan"}
	a.Set(func(a *presentertest.Agent) { a.Plans[presentertest.PlanKey(api.PlanRequest{})] = plan })
	w := open(t, a)
	test.Tap(w.Updates.Apply)
	wantContains(t, "confirmation", texts(w.Prompt.Body), "Applying stops the ERP: nobody can work in it until it is back",
		"backs up its database", "restores the backup", "Downtime: about 42s, 1m35s for the whole run (measured on rehearsal 3 of this plan).")
}

// TestRequiredRehearsalComesFirst: when the agent applies only rehearsed
// plans, Apply waits and Rehearse is offered first; after the rehearsal
// passed, the Run screen offers to apply the same plan.
func TestRequiredRehearsalComesFirst(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Runs", nil)
	a.Set(func(a *presentertest.Agent) { a.Stat.Schedule = &api.ScheduleInfo{RequireRehearsal: true} })
	w := open(t, a)
	test.Tap(w.Updates.Apply)
	p := w.Prompt
	if p == nil || !p.Apply.Disabled() || p.Rehearse.Importance != widget.HighImportance || !strings.Contains(texts(p.Body), "passed a rehearsal") {
		t.Fatalf("prompt %+v: want Apply waiting for a rehearsal", p)
	}
	hash := hashOf("demo-plan.json")
	ended := now.Add(30 * time.Second)
	a.Set(func(a *presentertest.Agent) {
		a.Started = api.Run{ID: "8", Kind: "rehearse", State: "running", Started: now}
		a.RunList = []api.Run{{ID: "8", Kind: "rehearse", State: "succeeded", PlanHash: hash, Started: now, Ended: &ended}}
	})
	test.Tap(p.Rehearse)
	if !w.Run.ApplyNow.Visible() {
		t.Fatalf("no Apply this plan now after the rehearsal passed; headline %q", w.Run.Headline.Text)
	}
	rehearsed := *presentertest.Load[*api.Plan]("demo-plan.json")
	rehearsed.Estimate = api.Estimate{Basis: "rehearsal", Downtime: 2, Total: 5, Note: "measured on rehearsal 8 of this plan"}
	a.Set(func(a *presentertest.Agent) { a.Plans[presentertest.PlanKey(api.PlanRequest{})] = &rehearsed })
	test.Tap(w.Run.ApplyNow)
	if w.Prompt == p || w.Prompt.Apply.Disabled() {
		t.Fatal("Apply this plan now did not offer an enabled Apply")
	}
	test.Tap(w.Prompt.Apply)
	wantContains(t, "calls", calls(a), "Apply "+hash+" install=[] upgrades=[] disable=false")
}
