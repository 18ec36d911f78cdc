package backend

import (
	"context"
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
)

// DryRun is what applying plan would do now: its steps with their
// estimated time and the downtime, and what preflight would refuse; it
// changes nothing. A nil plan is planned now with req's choices; a given
// one is checked against a fresh plan with the choices it implies. It
// returns the plan with the report.
func (b *Backend) DryRun(ctx context.Context, plan *scan.Plan, req api.PlanRequest) (*scan.Plan, *apply.DryRunReport, error) {
	p, err := b.o.Store.PendingRun(ctx)
	if err != nil {
		return nil, nil, err
	}
	if p != nil {
		return nil, nil, fmt.Errorf("run %d is %s: finish it first with upkeep apply --recover-only", p.ID, p.State)
	}
	h, err := b.host("dry runs through the service")
	if err != nil {
		return nil, nil, err
	}
	r, err := b.runner(h)
	if err != nil {
		return nil, nil, b.cannotChange(err)
	}
	sr := planRequest(req)
	if plan == nil {
		if plan, err = b.plan(ctx, sr); err != nil {
			return nil, nil, scanFailure(err)
		}
	}
	r.Rescan = func(ctx context.Context) (*scan.Plan, error) { return b.plan(ctx, sr.Implied(plan)) }
	d, err := r.DryRun(ctx, plan)
	return plan, d, err
}
