package backend_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

// TestRehearseRunsOnACopy: POST /v1/rehearse's backend refuses a stale
// plan, rehearses the reviewed one on a copy as a run the API shows and
// streams, records its outcome, and leaves production as it was; the
// schedule's RehearsePlan waits for the verdict.
func TestRehearseRunsOnACopy(t *testing.T) {
	a := newAgent(t)
	req := reviewed(t, a)
	if _, err := a.b.Rehearse(ctx, api.RunRequest{PlanHash: strings.Repeat("0", 64)}, root); !isConflict(err, "the plan changed") {
		t.Errorf("a stale plan hash: %v, want a conflict saying the plan changed", err)
	}
	run, err := a.b.Rehearse(ctx, req, root)
	if err != nil {
		t.Fatal(err)
	}
	if run.Kind != store.KindRehearse || run.By != "root" || run.PlanHash != req.PlanHash {
		t.Errorf("run = %+v", run)
	}
	events, errc := a.follow(run.ID)
	live := drain(t, events, errc)
	first, warned := "", false
	for _, e := range live {
		if e.Status == "started" && first == "" {
			first = e.Step
		}
		warned = warned || strings.Contains(e.Message, "health check gate is skipped on the copy")
	}
	if !strings.HasPrefix(first, "rehearse: copy") || !warned {
		t.Errorf("the first step %q, the URL check's warning seen %v", first, warned)
	}
	done, err := a.b.Run(ctx, run.ID)
	if err != nil || done.State != "succeeded" || done.Ended == nil {
		t.Fatalf("run after its stream ended: %+v, %v", done, err)
	}
	if v := a.versions(t); v["core"] != "2.50.20" || v["arp"] != "1.3.0" || !a.erpHealthy() {
		t.Errorf("production after the rehearsal: %v, healthy %v", v, a.erpHealthy())
	}
	if !hasEvent(t, a, "rehearsal-passed", "Rehearsal "+run.ID+" passed on the copy") {
		t.Error("the rehearsal's outcome is not in the event log")
	}
	p, err := a.b.Plan(ctx, api.PlanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.b.RehearsePlan(ctx, &p.Plan, scanner.Request{}, "schedule")
	if err != nil || res == nil || !res.Passed {
		t.Errorf("RehearsePlan: %+v, %v", res, err)
	}
}

// TestRecoverRehearsalRemovesAnAbandonedCopy: a rehearsal journaled as
// running with its copy's server up (the agent was killed) is cleaned up
// by RecoverRehearsal: the server stopped, the copy removed, the run failed.
func TestRecoverRehearsalRemovesAnAbandonedCopy(t *testing.T) {
	a := newAgent(t)
	c, err := config.Load(a.conf)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.b.Plan(ctx, api.PlanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(p)
	id, err := a.st.StartRun(ctx, store.KindRehearse, p.Hash, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.BeginStep(ctx, id, 1, "rehearse: copy the database and the module folders"); err != nil {
		t.Fatal(err)
	}
	w, err := openWriter(c)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.State.Dir, "runs", strconv.FormatInt(id, 10), "copy")
	os.MkdirAll(dir, 0o750)
	clone, _, err := w.(*demo.Writer).Clone(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := clone.Start(ctx); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, demo.ClonePIDFile))
	pid, _ := proc.ParsePID(data)
	res, err := a.b.RecoverRehearsal(ctx)
	if err != nil || res == nil || res.Run != id || res.State != store.RunFailedRestored {
		t.Fatalf("RecoverRehearsal: %+v, %v", res, err)
	}
	if pid == 0 || platform.ProcessAlive(pid) {
		t.Errorf("the abandoned copy's server (pid %d) still runs", pid)
	}
	if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
		t.Errorf("the abandoned copy is still there: %v", err)
	}
	if pending, err := a.st.PendingRun(ctx); pending != nil || err != nil {
		t.Errorf("pending after the recovery: %+v, %v", pending, err)
	}
	if res, err := a.b.RecoverRehearsal(ctx); res != nil || err != nil {
		t.Errorf("a second RecoverRehearsal: %+v, %v", res, err)
	}
}
