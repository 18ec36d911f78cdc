package backend

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Recover finishes the run a crash left unfinished, before the agent does
// anything else: before the commit point it restores the instance, after
// it records the run; a restore that failed earlier is retried. The
// outcome becomes an event. It returns nil, nil when no run was pending
// (it then only removes what finished runs left behind).
func (b *Backend) Recover(ctx context.Context) (*apply.Result, error) {
	p, err := b.o.Store.PendingRun(ctx)
	if err != nil {
		return nil, err
	}
	if b.o.Open == nil {
		if p != nil {
			return nil, b.unrecoverable(ctx, p, fmt.Errorf("this agent cannot apply to erp.kind %q", b.config().ERP.Kind))
		}
		return nil, nil
	}
	h, err := b.o.Open(b.config())
	var r *apply.Runner
	if err == nil {
		r, err = b.runner(h)
	}
	if err != nil {
		if p != nil {
			return nil, b.unrecoverable(ctx, p, err)
		}
		return nil, nil // nothing to recover, and applies will say why they cannot run
	}
	t := &tracked{kind: store.KindApply, record: true, // who started it is not journaled
		started: make(chan struct{}), done: make(chan struct{})}
	var before int64
	if p != nil {
		t.plan, t.id, before = journaledPlan(p), p.ID, p.ID-1
		close(t.started)
	}
	if other := b.runs.claim(t); other != nil {
		return nil, busy(other)
	}
	ctx, t.cancel = context.WithCancel(ctx)
	t.committed = true // a recovery is never cancelled
	r.Progress = func(e apply.Event) {
		b.progress(t, e, before)
		if b.o.ShowRecovery != nil {
			b.o.ShowRecovery(e)
		}
	}
	var res *apply.Result
	b.drive(ctx, t, func(ctx context.Context) (*apply.Result, error) {
		res, err = r.Recover(ctx)
		return res, err
	})
	return res, err
}

// journaledPlan is a pending run's plan, or nil when unreadable (Recover
// then says so).
func journaledPlan(p *store.Run) *scan.Plan {
	var plan scan.Plan
	if json.Unmarshal([]byte(p.Plan), &plan) != nil {
		return nil
	}
	return &plan
}

// unrecoverable records that a pending run cannot be finished here.
func (b *Backend) unrecoverable(ctx context.Context, p *store.Run, cause error) error {
	err := fmt.Errorf("run %d was left %s, and this agent cannot finish it: %w; fix the configuration, then restart the agent or run upkeep apply --recover-only",
		p.ID, p.State, cause)
	e := store.Event{Kind: store.EventProblem, Level: store.LevelError, Notify: true, PlanHash: p.PlanHash,
		Title: fmt.Sprintf("Run %d was left unfinished and cannot be finished: %v", p.ID, cause), Body: err.Error() + "\n",
		NewsKey: fmt.Sprintf("%s:recover:%d", store.EventProblem, p.ID)}
	if _, _, aerr := b.ev.Add(ctx, e); aerr != nil {
		b.o.Log.Error("record an event", "title", e.Title, "err", aerr)
	}
	return err
}
