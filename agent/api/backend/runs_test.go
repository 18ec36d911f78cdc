package backend_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

// reviewed is the plan a caller reviewed: its hash in a run request.
func reviewed(t *testing.T, a *agent) api.RunRequest {
	t.Helper()
	p, err := a.b.Plan(ctx, api.PlanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return api.RunRequest{PlanHash: p.Hash}
}

func TestApplyRunsInTheAgentAndStreamsItsProgress(t *testing.T) {
	a := newAgent(t)
	req := reviewed(t, a)
	if _, err := a.b.Apply(ctx, api.RunRequest{PlanHash: strings.Repeat("0", 64)}, root); !isConflict(err, "the plan changed") {
		t.Errorf("a stale plan hash: %v, want a conflict saying the plan changed", err)
	}
	run, err := a.b.Apply(ctx, req, root)
	if err != nil {
		t.Fatal(err)
	}
	if run.ID == "" || run.Kind != store.KindApply || run.By != "root" || run.PlanHash != req.PlanHash {
		t.Errorf("run = %+v", run)
	}
	var ce *api.ConflictError
	if _, err := a.b.Apply(ctx, req, root); !errors.As(err, &ce) || ce.RunID != run.ID {
		t.Errorf("a second apply: %v, want a conflict naming run %s", err, run.ID)
	}
	events, errc := a.follow(run.ID)
	late, lateErrc := a.follow(run.ID) // a second follower gets the same events
	live := drain(t, events, errc)
	if got := drain(t, late, lateErrc); !slices.Equal(steps(got), steps(live)) {
		t.Errorf("two followers saw different runs:\n%v\n%v", steps(got), steps(live))
	}
	checkProgress(t, live)
	done, err := a.b.Run(ctx, run.ID)
	if err != nil || done.State != "succeeded" || done.Ended == nil {
		t.Fatalf("run after its stream ended: %+v, %v", done, err)
	}
	if done.Drift == nil || len(done.Drift.Changed) == 0 {
		t.Errorf("run %s's drift report = %+v, want the demo update's changed settings", run.ID, done.Drift)
	}
	if id, _ := strconv.ParseInt(run.ID, 10, 64); journaledBy(t, a, id) != "root" {
		t.Errorf("the journal says run %s was started by %q, want root (the caller)", run.ID, journaledBy(t, a, id))
	}
	if v := a.versions(t); v["core"] != "2.50.22" || v["arp"] != "1.4.0" || !a.erpHealthy() {
		t.Errorf("after the apply: %v, healthy %v", v, a.erpHealthy())
	}
	replayed := collect(t, a, run.ID, 0)
	if !slices.Equal(steps(replayed), steps(live)) {
		t.Errorf("the journal's replay differs from the live events:\n%v\n%v", steps(replayed), steps(live))
	}
	if tail := collect(t, a, run.ID, live[len(live)/2].Seq); len(tail) == 0 || tail[0].Seq <= live[len(live)/2].Seq {
		t.Errorf("resuming after seq %d: %d events from %v", live[len(live)/2].Seq, len(tail), tail)
	}
	if !hasEvent(t, a, store.EventApplied, "Applied core 2.50.22") {
		t.Error("the apply's outcome is not in the event log")
	}
	if !hasEvent(t, a, store.EventRunStarted, "Apply started: run "+run.ID+" (root)") {
		t.Error("the apply's start is not in the event log (the tray's stream shows a run at once by it)")
	}
}

// checkProgress: every step starts and ends in order, numbers increase.
func checkProgress(t *testing.T, evs []api.RunEvent) {
	t.Helper()
	var last int64
	started, done := 0, 0
	for _, e := range evs {
		if e.Seq <= last {
			t.Fatalf("event %+v after seq %d: not increasing", e, last)
		}
		last = e.Seq
		switch e.Status {
		case "started":
			started++
		case "done":
			done++
		case "failed":
			t.Errorf("a step failed: %+v", e)
		}
	}
	if started < 10 || started != done || evs[0].Status != "started" || !strings.HasPrefix(evs[0].Step, "preflight") {
		t.Errorf("%d steps started, %d done; first %+v", started, done, evs[0])
	}
}

func steps(evs []api.RunEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, strings.Join([]string{e.Status, e.Step, e.Message}, " | "))
	}
	return out
}

func collect(t *testing.T, a *agent, id string, since int64) []api.RunEvent {
	t.Helper()
	var out []api.RunEvent
	if err := a.b.RunEvents(ctx, id, since, func(e api.RunEvent) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func isConflict(err error, text string) bool {
	var ce *api.ConflictError
	return errors.As(err, &ce) && strings.Contains(err.Error(), text)
}

func hasEvent(t *testing.T, a *agent, kind, title string) bool {
	t.Helper()
	evs, err := a.b.Events(ctx, api.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind == kind && strings.Contains(e.Summary, title) {
			return true
		}
	}
	return false
}

func TestCancelBeforeTheERPIsTouched(t *testing.T) {
	a := newAgent(t)
	before := a.versions(t)
	a.archives.close() // the download waits
	defer a.archives.release()
	run, err := a.b.Apply(ctx, reviewed(t, a), root)
	if err != nil {
		t.Fatal(err)
	}
	events, errc := a.follow(run.ID)
	until(t, events, "the download", func(e api.RunEvent) bool { return e.Status == "started" && strings.HasPrefix(e.Step, "download") })
	st, err := a.b.Status(ctx)
	if err != nil || st.Running == nil || st.Running.ID != run.ID || !strings.HasPrefix(st.Running.Step, "download") {
		t.Errorf("status while downloading: %+v, %v", st.Running, err)
	}
	got, err := a.b.Cancel(ctx, run.ID, root)
	if err != nil || got.State != "cancelled" {
		t.Fatalf("cancel during the download: %+v, %v", got, err)
	}
	drain(t, events, errc)
	if v := a.versions(t); !maps(v, before) || !a.erpHealthy() {
		t.Errorf("after the cancel: %v (before %v), healthy %v", v, before, a.erpHealthy())
	}
	if _, err := a.b.Cancel(ctx, run.ID, root); !isConflict(err, "has ended") {
		t.Errorf("cancelling an ended run: %v", err)
	}
	if rs, err := a.b.Runs(ctx, 10); err != nil || len(rs) != 1 || rs[0].State != "cancelled" {
		t.Errorf("runs: %+v, %v", rs, err)
	}
	if !hasEvent(t, a, "cancelled", "cancelled before the ERP was touched") {
		t.Error("the cancel is not in the event log")
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCancelIsRefusedPastThePointOfNoReturn(t *testing.T) {
	a := newAgent(t)
	run, err := a.b.Apply(ctx, reviewed(t, a), root)
	if err != nil {
		t.Fatal(err)
	}
	events, errc := a.follow(run.ID)
	// Preflight has checked the health; the next check is after the update.
	until(t, events, "the preflight's end", func(e api.RunEvent) bool { return e.Status == "done" && strings.HasPrefix(e.Step, "preflight") })
	a.health.close()
	until(t, events, "the health checks", func(e api.RunEvent) bool { return e.Status == "started" && e.Step == "health checks" })
	var wg sync.WaitGroup
	for range 3 { // concurrent callers all get the same refusal
		wg.Go(func() {
			if _, err := a.b.Cancel(ctx, run.ID, root); !isConflict(err, "point of no return") {
				t.Errorf("cancel during the health checks: %v, want a conflict", err)
			}
		})
	}
	wg.Wait()
	a.health.release()
	drain(t, events, errc)
	if r, err := a.b.Run(ctx, run.ID); err != nil || r.State != "succeeded" {
		t.Errorf("the run went on: %+v, %v", r, err)
	}
}

// TestRunEventsFollowsARunAnotherProcessDrives: a run journaled by another
// process (upkeep apply) is followed by reading its journal.
func TestRunEventsFollowsARunAnotherProcessDrives(t *testing.T) {
	b, st := newBackend(t)
	holdApplyLock(t, b) // as the other process does while it drives the run
	id, err := st.StartRun(ctx, store.KindApply, "feed", []byte(`{"schema":1,"hash":"feed"}`))
	if err != nil {
		t.Fatal(err)
	}
	st.BeginStep(ctx, id, 1, "preflight: lock, plan, disk room, ERP health")
	st.EndStep(ctx, id, 1, "plan feed still matches\nsettings snapshot: 3 entries\n", nil)
	st.BeginStep(ctx, id, 2, "download and verify 1 archives")
	events := make(chan api.RunEvent, 100)
	errc := make(chan error, 1)
	go func() {
		defer close(events)
		errc <- b.RunEvents(ctx, idOf(id), 0, func(e api.RunEvent) error { events <- e; return nil })
	}()
	until(t, events, "the download's start", func(e api.RunEvent) bool { return e.Status == "started" && strings.HasPrefix(e.Step, "download") })
	if _, err := b.Cancel(ctx, idOf(id), root); !isConflict(err, "another upkeep process") {
		t.Errorf("cancelling another process's run: %v", err)
	}
	st.EndStep(ctx, id, 2, "", errors.New("connection refused"))
	if err := st.FinishRun(ctx, id, store.RunEnd{State: store.RunFailedRestored, FailedStep: "download and verify 1 archives", Error: "connection refused"}, nil); err != nil {
		t.Fatal(err)
	}
	rest := drain(t, events, errc)
	if last := rest[len(rest)-1]; last.Status != "failed" || last.Message != "connection refused" {
		t.Errorf("last event %+v", last)
	}
	r, err := b.Run(ctx, idOf(id))
	if err != nil || r.State != "failed" || r.Step != "download and verify 1 archives" {
		t.Errorf("a run that failed before the stop: %+v, %v", r, err)
	}
	var nf *api.NotFoundError
	for _, bad := range []string{"0", "x", "99"} {
		if err := b.RunEvents(ctx, bad, 0, nil); !errors.As(err, &nf) {
			t.Errorf("run %q: %v, want NotFoundError", bad, err)
		}
	}
}

func idOf(id int64) string { return strconv.FormatInt(id, 10) }

// journaledBy is who the store says started run id.
func journaledBy(t *testing.T, a *agent, id int64) string {
	t.Helper()
	r, err := a.st.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r.By
}

// holdApplyLock takes the apply lock of b's state folder until the test
// ends, as a process that drives a run holds it.
func holdApplyLock(t *testing.T, b *backend.Backend) {
	t.Helper()
	st, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := platform.LockFile(filepath.Join(filepath.Dir(st.Config), "state", apply.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unlock() })
}
