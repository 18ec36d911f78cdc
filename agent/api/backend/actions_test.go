package backend_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// TestScheduleAppliesStagedPatchesAlone: with patches applied silently, the
// schedule's plan holds the core patch alone although updates are pending;
// staging downloads it, and the apply takes the staged archive while the
// repository's downloads are held.
func TestScheduleAppliesStagedPatchesAlone(t *testing.T) {
	a := newAgent(t)
	act := a.b.ScheduleActions(schedule.Policy{Patches: schedule.Apply, Updates: schedule.Stage})
	rep, err := act.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := act.Plan(rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 1 || plan.Changes[0].Module != "core" || plan.Changes[0].To.String() != "2.50.21" {
		t.Fatalf("the schedule's plan: %+v, want the core patch 2.50.21 alone", plan.Changes)
	}
	if err := act.Stage(ctx, plan); err != nil {
		t.Fatal(err)
	}
	staged := filepath.Join(filepath.Dir(a.conf), "state", "staging", plan.Changes[0].Archive.SHA256+".zip")
	if _, err := os.Stat(staged); err != nil {
		t.Fatalf("the staged archive: %v", err)
	}
	a.archives.close() // a download now would wait until the test's end
	defer a.archives.release()
	c, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res, err := act.Apply(c, plan)
	if err != nil || res.State != store.RunSucceeded || res.RunID == 0 {
		t.Fatalf("apply: %+v, %v", res, err)
	}
	if v := a.versions(t); v["core"] != "2.50.21" || v["arp"] != "1.3.0" {
		t.Errorf("after the silent apply: %v, want core 2.50.21 and arp untouched", v)
	}
	if r, err := a.b.Run(ctx, idOf(res.RunID)); err != nil || r.By != "schedule" || r.State != "succeeded" {
		t.Errorf("the schedule's run on the API: %+v, %v", r, err)
	}
	if hasEvent(t, a, store.EventApplied, "") {
		t.Error("the backend recorded the schedule's outcome, which the schedule records itself")
	}
}

func TestScheduleActionsRefuseWhileAnotherRunIsGoing(t *testing.T) {
	a := newAgent(t)
	act := a.b.ScheduleActions(schedule.Policy{Patches: schedule.Apply})
	a.archives.close()
	run, err := a.b.Apply(ctx, reviewed(t, a), root)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := act.Scan(ctx)
	plan, _ := act.Plan(rep)
	var ce *api.ConflictError
	if _, err := act.Apply(ctx, plan); !errors.As(err, &ce) || ce.RunID != run.ID {
		t.Errorf("a scheduled apply while run %s goes on: %v", run.ID, err)
	}
	if passed, err := act.RehearsalPassed(ctx, plan.Hash); passed || err != nil {
		t.Errorf("rehearsal passed: %v, %v; there was none", passed, err)
	}
	a.b.Cancel(ctx, run.ID, root)
	a.archives.release()
}

func TestStageRefusesAnAlteredArchive(t *testing.T) {
	a := newAgent(t)
	act := a.b.ScheduleActions(schedule.Policy{Patches: schedule.Stage})
	rep, err := act.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := act.Plan(rep)
	if err != nil {
		t.Fatal(err)
	}
	plan.Changes[0].Archive.SHA256 = strings.Repeat("ab", 32)
	err = act.Stage(ctx, plan)
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("staging an archive whose hash the plan misstates: %v", err)
	}
	plan.Changes[0].Archive.SHA256 = "../../etc/passwd"
	if err := act.Stage(ctx, plan); err == nil || !strings.Contains(err.Error(), "64 lowercase hex") {
		t.Errorf("a hostile hash: %v", err)
	}
}
