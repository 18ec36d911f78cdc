package presenter_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
)

// online is a snapshot of a connected agent with report rep.
func online(rep *api.SavedReport, canAct bool) presenter.Snapshot {
	return presenter.Snapshot{Conn: presenter.Online, Report: rep,
		Status: &api.Status{ERP: "demo", Caller: api.Caller{CanAct: canAct}}}
}

// only keeps the named lists of the demo report.
func only(lists ...string) *api.SavedReport {
	s := presentertest.DemoReport()
	r := s.Report
	keep := strings.Join(lists, " ")
	if !strings.Contains(keep, "patches") {
		r.Patches = nil
	}
	if !strings.Contains(keep, "updates") {
		r.Updates = nil
	}
	if !strings.Contains(keep, "upgrades") {
		r.Upgrades, r.UpgradeNotices = nil, nil
	}
	if !strings.Contains(keep, "blocked") {
		r.NotApplicable = nil
	}
	r.Warnings = nil
	r.Target = nil
	for _, c := range append(r.Patches, r.Updates...) {
		r.Target = append(r.Target, scan.Change{Stage: 1, Module: c.Module, From: c.From, To: c.To, Kind: c.Kind})
	}
	return s
}

func TestIconTellsEveryStateApart(t *testing.T) {
	ended := time.Now()
	cases := []struct {
		name string
		snap presenter.Snapshot
		want presenter.Icon
	}{
		{"connecting", presenter.Snapshot{}, presenter.IconUnreachable},
		{"unreachable", presenter.Snapshot{Conn: presenter.Offline}, presenter.IconUnreachable},
		{"up to date", online(only(), true), presenter.IconUpToDate},
		{"no scan yet", online(nil, true), presenter.IconUpToDate},
		{"patches", online(only("patches"), true), presenter.IconAvailable},
		{"updates and blocked", online(only("updates blocked"), true), presenter.IconAvailable},
		{"blocked only", online(only("blocked"), true), presenter.IconBlocked},
		{"upgrades only", online(only("upgrades"), true), presenter.IconUpgrade},
		{"running", func() presenter.Snapshot {
			s := online(only("patches"), true)
			s.Status.Running = &api.Run{ID: "1", State: "running"}
			return s
		}(), presenter.IconRunning},
		{"failed and restored", func() presenter.Snapshot {
			s := online(only("patches"), true)
			s.LastRun = &api.Run{ID: "1", State: "failed-restored", Ended: &ended}
			return s
		}(), presenter.IconFailed},
	}
	seen := map[presenter.Icon]bool{}
	for _, c := range cases {
		if got := c.snap.Icon(); got != c.want {
			t.Errorf("%s: icon %v, want %v", c.name, got, c.want)
		}
		seen[c.want] = true
	}
	if len(seen) != len(presenter.Icons()) {
		t.Errorf("the cases cover %d of the %d icon states", len(seen), len(presenter.Icons()))
	}
}

func TestStatusLine(t *testing.T) {
	ended := time.Now()
	restored := online(only("patches"), true)
	restored.LastRun = &api.Run{ID: "4", Kind: "apply", State: "failed-restored", Step: "update core", Ended: &ended}
	running := online(only("patches"), true)
	running.Status.Running = &api.Run{ID: "5", Kind: "rehearse", State: "running", Step: "backup the database"}
	for _, c := range []struct {
		snap presenter.Snapshot
		want string
	}{
		{presenter.Snapshot{}, "Connecting to the Upkeep agent…"},
		{presenter.Snapshot{Conn: presenter.Offline, RetryIn: 4 * time.Second}, "Agent unreachable: retrying in 4s"},
		{online(nil, true), "No scan yet: choose Check now"},
		{online(presentertest.DemoReport(), true), "1 patch, 2 updates, 1 upgrade available · 1 blocked · checked "},
		{online(only(), true), "Up to date · checked "},
		{restored, "Last apply failed at “update core”; the instance was restored"},
		{running, "Rehearsing: backup the database"},
	} {
		if got := c.snap.StatusLine(); !strings.HasPrefix(got, c.want) {
			t.Errorf("status line %q, want it to start with %q", got, c.want)
		}
	}
}

func TestMenuOffersApplyPatchesOnlyWhenThereAreAny(t *testing.T) {
	labels := func(s presenter.Snapshot) (out []string) {
		for _, l := range s.Menu() {
			out = append(out, l.Label)
		}
		return out
	}
	got := labels(online(only("updates"), true))
	if len(got) != 4 || got[1] != "Check now" || got[2] != "Open Upkeep…" || got[3] != "Quit" {
		t.Errorf("menu without patches = %q", got)
	}
	// The demo's default plan holds updates too: the menu opens a review.
	demo := online(presentertest.DemoReport(), true).Menu()
	if demo[3].ID != presenter.MenuApplyPatches || demo[3].Label != "Apply 1 patch…" || !demo[3].Enabled {
		t.Errorf("demo menu line 4 = %+v, want an enabled “Apply 1 patch…”", demo[3])
	}
	if pa := presenter.PatchActionOf(only("patches").Report); !pa.Direct || pa.Label != "Apply 1 patch" {
		t.Errorf("patches only: %+v, want a direct “Apply 1 patch”", pa)
	}
	for _, l := range online(presentertest.DemoReport(), false).Menu() {
		if (l.ID == presenter.MenuCheck || l.ID == presenter.MenuApplyPatches) && l.Enabled {
			t.Errorf("read-only caller: %q is enabled", l.Label)
		}
	}
}

func TestOnlyPatches(t *testing.T) {
	if presenter.OnlyPatches(presentertest.Load[*api.Plan]("demo-plan.json"), 1) {
		t.Error("the demo plan holds updates, yet OnlyPatches says it holds one patch only")
	}
	v := catalog.MustParseVersion
	patch := &api.Plan{Plan: scan.Plan{Changes: []scan.PlannedChange{{Stage: 1, Module: "core", From: v("2.50.20"), To: v("2.50.21"), Kind: catalog.KindPatch}}}}
	if !presenter.OnlyPatches(patch, 1) {
		t.Error("a plan of one patch is not recognised")
	}
	if presenter.OnlyPatches(patch, 2) {
		t.Error("a plan of one patch passes for two: the report and the plan disagree, the menu must not apply")
	}
	patch.Disable = []scan.Disable{{Module: "reports"}}
	if presenter.OnlyPatches(patch, 1) {
		t.Error("a plan that disables a module passes for patches only")
	}
}

func TestClassifyAndExplain(t *testing.T) {
	for _, c := range []struct {
		err  error
		want presenter.Problem
	}{
		{nil, presenter.NoProblem},
		{&api.UnreachableError{Path: "/x", Err: errors.New("refused")}, presenter.Unreachable},
		{&api.AccessDeniedError{Message: "no"}, presenter.Denied},
		{&api.NotAvailableError{Message: "later"}, presenter.NotAvailable},
		{&api.NotFoundError{Message: "none"}, presenter.NotFound},
		{&api.ConflictError{Message: "busy", RunID: "3"}, presenter.Conflict},
		{errors.New("boom"), presenter.Failed},
	} {
		if got := presenter.Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if got := presenter.Explain("Apply", &api.NotAvailableError{}); !strings.Contains(got, "does not offer it through the service yet") {
		t.Errorf("Explain(not available) = %q", got)
	}
	if got := presenter.RunningID(&api.ConflictError{RunID: "3"}); got != "3" {
		t.Errorf("RunningID = %q", got)
	}
}
