package backend_test

import (
	"errors"
	"os"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// TestApplyNeedsAPassedRehearsalWhenRequired: with require_rehearsal, an
// apply through the API (the tray's way, and the CLI's when the agent
// runs) is refused with a NotRehearsedError until a rehearsal of the same
// plan passed, and the ERP is not touched meanwhile; a rehearsal of
// another plan does not count.
func TestApplyNeedsAPassedRehearsalWhenRequired(t *testing.T) {
	a := newAgent(t)
	requireRehearsal(t, a)
	c := a.serve(t)
	all, err := c.Plan(ctx, api.PlanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var nr *api.NotRehearsedError
	if _, err := c.Apply(ctx, api.RunRequest{PlanHash: all.Hash}); !errors.As(err, &nr) {
		t.Fatalf("apply without a rehearsal: %v, want a NotRehearsedError", err)
	}
	sel := api.PlanRequest{Modules: []string{"arp"}}
	p, err := c.Plan(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.Rehearse(ctx, api.RunRequest{PlanHash: p.Hash, Plan: sel})
	if err != nil {
		t.Fatal(err)
	}
	events, errc := a.follow(run.ID)
	drain(t, events, errc)
	if done, err := c.Run(ctx, run.ID); err != nil || done.State != "succeeded" {
		t.Fatalf("rehearsal %s: %+v, %v", run.ID, done, err)
	}
	if _, err := c.Apply(ctx, api.RunRequest{PlanHash: all.Hash}); !errors.As(err, &nr) {
		t.Errorf("apply of a plan other than the rehearsed one: %v, want a NotRehearsedError", err)
	}
	if v := a.versions(t); v["arp"] != "1.3.0" || v["core"] != "2.50.20" {
		t.Fatalf("the refused applies changed the ERP: %v", v)
	}
	applied, err := c.Apply(ctx, api.RunRequest{PlanHash: p.Hash, Plan: sel})
	if err != nil {
		t.Fatalf("apply of the rehearsed plan: %v", err)
	}
	events, errc = a.follow(applied.ID)
	drain(t, events, errc)
	if v := a.versions(t); v["arp"] != "1.4.0" {
		t.Errorf("after applying the rehearsed plan: %v, want arp 1.4.0", v)
	}
}

// requireRehearsal turns on schedule.policy.require_rehearsal in the
// agent's file and reloads it.
func requireRehearsal(t *testing.T, a *agent) {
	t.Helper()
	f, err := os.OpenFile(a.conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("[schedule.policy]\nrequire_rehearsal = true\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.b.Reload(ctx, root); err != nil {
		t.Fatalf("reload: %v", err)
	}
}
