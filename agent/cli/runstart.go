package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// rehearsalOutcome gives a rehearsal that ended its exit code: 9 when it
// ran and failed.
func rehearsalOutcome(run *api.Run) error {
	err := runOutcome(run)
	var ce cliutil.CodeError
	if errors.As(err, &ce) && ce.Code == ExitError {
		return withCode(ExitRehearsalFailed, fmt.Errorf("%w: %w; production was not touched", apply.ErrRehearsalFailed, ce.Err))
	}
	return err
}

// agentPlan is the plan to apply or rehearse and the choices the agent
// plans it again with: the plan file's (with the choices it implies), or
// the agent's plan for the flags.
func agentPlan(ctx context.Context, cl *api.Client, args []string, f scanFlags) (*scan.Plan, api.PlanRequest, error) {
	if len(args) == 1 {
		p, err := readPlan(args[0])
		if err != nil {
			return nil, api.PlanRequest{}, err
		}
		return p, f.implied(p).planRequest(), nil
	}
	req := f.planRequest()
	p, err := cl.Plan(ctx, req)
	if err != nil {
		return nil, req, err
	}
	return &p.Plan, req, nil
}

// startRefused gives the agent's refusal to start a run its exit code: a
// pending run whose restore failed is 8; another run going is 7 (agentCode).
func startRefused(ctx context.Context, cl *api.Client, err error) error {
	if ctx.Err() != nil {
		return withCode(ExitError, fmt.Errorf("interrupted before the agent answered: if it started the run, the run goes on there; upkeep status shows it (%w)", err))
	}
	var cf *api.ConflictError
	if errors.As(err, &cf) && cf.RunID != "" {
		if r, rerr := cl.Run(ctx, cf.RunID); rerr == nil && r.State == store.RunRestoreFailed {
			return withCode(ExitRestoreFailed, fmt.Errorf("%w: once the cause is fixed, upkeep apply --recover-only retries the restore", err))
		}
	}
	return agentCode(err)
}
