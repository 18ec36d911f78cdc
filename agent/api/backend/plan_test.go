package backend_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/platform"
)

// serve serves the agent's backend on a unix socket and returns a client
// of it (the test runs as root, so it may act).
func (a *agent) serve(t *testing.T) *api.Client {
	t.Helper()
	return serveBackend(t, a.b)
}

// serveBackend serves b on a unix socket and returns a client of it.
func serveBackend(t *testing.T, b api.Backend) *api.Client {
	t.Helper()
	srv, err := api.NewServer(b, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "upkeep.sock")
	l, err := platform.ListenLocal(sock, "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.Shutdown(c)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &api.Client{Path: sock}
}

func TestPlanLeavesTheSavedReportAlone(t *testing.T) {
	a := newAgent(t)
	c := a.serve(t)
	saved, err := c.Scan(ctx, api.ScanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []api.PlanRequest{{}, {Install: []string{"warehouse"}}, {DisableBlockers: true}, {Modules: []string{"arp"}}} {
		if _, err := c.Plan(ctx, req); err != nil {
			t.Fatalf("plan %+v: %v", req, err)
		}
	}
	got, err := c.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != saved.ID || got.At != saved.At || len(got.Report.Target) != len(saved.Report.Target) {
		t.Errorf("after plans the report is scan %d at %s with %d target changes; want the scan's: %d at %s with %d",
			got.ID, got.At, len(got.Report.Target), saved.ID, saved.At, len(saved.Report.Target))
	}
}

// TestPlanSelections: a selection of patches, and the requests the agent
// refuses with the names and the choices at fault.
func TestPlanSelections(t *testing.T) {
	a := newAgent(t)
	c := a.serve(t)
	_, err := c.Plan(ctx, api.PlanRequest{Modules: []string{"arp", "nope", "reports"}})
	var br *api.BadRequestError
	if !errors.As(err, &br) || !strings.Contains(br.Message, "no change for nope, reports") {
		t.Errorf("plan of unknown modules: %v, want a bad request naming nope and reports", err)
	}
	_, err = c.Apply(ctx, api.RunRequest{PlanHash: strings.Repeat("0", 64), Plan: api.PlanRequest{Modules: []string{"nope"}}})
	if !errors.As(err, &br) || !strings.Contains(br.Message, "nope") {
		t.Errorf("apply of an unknown module: %v, want a bad request naming it", err)
	}
	_, err = c.Plan(ctx, api.PlanRequest{PatchesOnly: true, DisableBlockers: true})
	if !errors.As(err, &br) || !strings.Contains(br.Message, "patches_only") {
		t.Errorf("patches alone with disabled blockers: %v, want a bad request", err)
	}
	p, err := c.Plan(ctx, api.PlanRequest{PatchesOnly: true, Modules: []string{"core"}})
	if err != nil || len(p.Changes) != 1 || p.Changes[0].To.String() != "2.50.21" {
		t.Errorf("the core's patch alone: %+v, %v; want core 2.50.21 (not its update)", p, err)
	}
}

// TestApplyASelection applies arp's update alone through the API: the
// runner plans the same selection again (no "plan changed"), the core
// stays, the report is scanned again without arp's update, and the next
// plan's estimate comes from the apply.
func TestApplyASelection(t *testing.T) {
	a := newAgent(t)
	c := a.serve(t)
	before, err := c.Scan(ctx, api.ScanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(updates(before.Report), "arp 1.4.0") {
		t.Fatalf("the scan offers %v, want arp 1.4.0 among them", updates(before.Report))
	}
	sel := api.PlanRequest{Modules: []string{"arp"}}
	p, err := c.Plan(ctx, sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 1 || p.Changes[0].Module != "arp" || p.Changes[0].To.String() != "1.4.0" {
		t.Fatalf("the plan of arp = %+v, want arp 1.4.0 alone", p.Changes)
	}
	if p.Estimate.Basis != "none" || !strings.Contains(p.Estimate.Note, "no history yet") {
		t.Errorf("estimate before any run = %+v, want none: no history yet", p.Estimate)
	}
	run, err := c.Apply(ctx, api.RunRequest{PlanHash: p.Hash, Plan: sel})
	if err != nil {
		t.Fatal(err)
	}
	events, errc := a.follow(run.ID)
	drain(t, events, errc)
	if done, err := c.Run(ctx, run.ID); err != nil || done.State != "succeeded" {
		t.Fatalf("run %s: %+v, %v", run.ID, done, err)
	}
	if v := a.versions(t); v["arp"] != "1.4.0" || v["core"] != "2.50.20" {
		t.Errorf("after applying arp alone: %v, want arp 1.4.0 and core still 2.50.20", v)
	}
	checkRescanned(t, c, before)
	next, err := c.Plan(ctx, api.PlanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if e := next.Estimate; e.Basis != "applies" || !slices.Equal(e.RunIDs, []string{run.ID}) || e.Downtime <= 0 || e.Total < e.Downtime {
		t.Errorf("estimate after run %s = %+v, want one from that apply", run.ID, e)
	}
}

// checkRescanned: the report was scanned again after the apply and no
// longer offers what it applied.
func checkRescanned(t *testing.T, c *api.Client, before *api.SavedReport) {
	t.Helper()
	after, err := c.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.ID == before.ID {
		t.Fatalf("the report is still scan %d from before the apply", before.ID)
	}
	offered := updates(after.Report)
	if slices.Contains(offered, "arp 1.4.0") || !slices.Contains(offered, "core 2.50.22") {
		t.Errorf("after applying arp 1.4.0 the report offers %v: want core 2.50.22 still, arp 1.4.0 no more", offered)
	}
}

// updates lists a report's patches and updates as "module version".
func updates(r *api.Report) []string {
	var out []string
	for _, c := range slices.Concat(r.Patches, r.Updates) {
		out = append(out, c.Module+" "+c.To.String())
	}
	return out
}
