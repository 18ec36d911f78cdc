package backend

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// ScheduleActions returns what the schedule does, over this backend: scans
// through agent/scanner, plans (patches alone when the policy applies
// patches and the whole plan holds more), stages archives, applies as a
// run the API shows and can cancel, and rehearses (RehearsePlan) or looks
// up a passed rehearsal.
func (b *Backend) ScheduleActions(pol schedule.Policy) schedule.Actions {
	return &actions{b: b, pol: pol, made: map[string]scanner.Request{}}
}

type actions struct {
	b    *Backend
	pol  schedule.Policy
	mu   sync.Mutex
	made map[string]scanner.Request // plan hash → the choices that made it
}

func (a *actions) Scan(ctx context.Context) (*scan.Report, error) {
	return a.b.scan(ctx, scanner.Request{})
}

// Plan plans the report's target. When the policy applies patches or
// security fixes silently but the target holds more, it plans what may go
// silently alone (the security fixes and patches, else the patches), so
// that a pending update (which waits for a person) does not hold them back.
func (a *actions) Plan(rep *scan.Report) (*scan.Plan, error) {
	var req scanner.Request
	plan, err := rep.Plan(req.PlanOptions())
	if err != nil {
		return nil, err
	}
	if schedule.PlanAction(plan, a.pol) < schedule.Apply {
		for _, alt := range a.silentRequests(plan) {
			p, err := rep.Plan(alt.PlanOptions())
			if err == nil && len(p.Changes) > 0 && schedule.PlanAction(p, a.pol) == schedule.Apply {
				plan, req = p, alt
				break
			}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.made)
	a.made[plan.Hash] = req
	return plan, nil
}

// silentRequests are the narrower plans the policy may apply silently, in
// order: the changes it applies silently alone (with security = "apply"),
// then the patches alone (with patches = "apply").
func (a *actions) silentRequests(plan *scan.Plan) []scanner.Request {
	var out []scanner.Request
	if a.pol.Security == schedule.Apply {
		var mods []string
		for _, c := range plan.Changes {
			if a.pol.ForChange(c) == schedule.Apply {
				mods = append(mods, c.Module)
			}
		}
		if len(mods) > 0 {
			out = append(out, scanner.Request{Modules: mods})
		}
	}
	if a.pol.Patches == schedule.Apply {
		out = append(out, scanner.Request{PatchesOnly: true})
	}
	return out
}

// Stage downloads and verifies the plan's archives into the state
// directory's staging folder; the runner's download takes them from there.
func (a *actions) Stage(ctx context.Context, plan *scan.Plan) error {
	if a.b.o.Open == nil {
		return &api.NotAvailableError{Feature: "staging through the service"}
	}
	h, err := a.b.o.Open(a.b.config())
	if err != nil {
		return err
	}
	return h.Stage(ctx, plan)
}

// Apply applies the plan as a run of this process (shown by the API and
// cancellable before the point of no return) and waits for its end. When
// ctx ends first (the agent stops), the run goes on.
func (a *actions) Apply(ctx context.Context, plan *scan.Plan) (schedule.ApplyResult, error) {
	t, err := a.b.startApply(ctx, startRequest{plan: plan, req: a.choices(plan.Hash), by: "schedule"})
	if err != nil {
		return schedule.ApplyResult{}, err
	}
	id := t.ID(&a.b.runs)
	select {
	case <-t.done:
	case <-ctx.Done():
		return schedule.ApplyResult{RunID: id}, fmt.Errorf("run %d goes on while the agent stops; a crash is finished at the next start: %w", id, ctx.Err())
	}
	out := schedule.ApplyResult{RunID: id}
	if t.res != nil {
		out.State = t.res.State
		out.Untouched = t.res.State == store.RunFailedRestored && beforeTheERP(t.res.FailedStep)
	}
	return out, t.err
}

// RehearsalPassed tells whether a rehearsal of the plan hash passed.
func (a *actions) RehearsalPassed(ctx context.Context, hash string) (bool, error) {
	r, err := apply.PassedRehearsal(ctx, a.b.o.Store, hash)
	return r != nil, err
}

// Rehearse rehearses the plan as a run this backend drives and shows, and
// waits for its end: a rehearsal that ran and failed is passed = false.
func (a *actions) Rehearse(ctx context.Context, plan *scan.Plan) (bool, error) {
	res, err := a.b.RehearsePlan(ctx, plan, a.choices(plan.Hash), "schedule")
	switch {
	case errors.Is(err, apply.ErrRehearsalFailed):
		return false, nil
	case err != nil:
		return false, err
	}
	return res != nil && res.Passed, nil
}

// choices are the choices that made the plan with hash.
func (a *actions) choices(hash string) scanner.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.made[hash]
}
