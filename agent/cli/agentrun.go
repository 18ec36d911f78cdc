package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// applyViaAgent is apply through the running agent: the agent plans again,
// refuses a plan other than the one shown here, applies it in its own
// process and streams the progress, which is shown as the standalone apply
// shows it. The run goes on when this command stops.
func (a *app) applyViaAgent(cmd *cobra.Command, args []string, c *config.Config, cl *api.Client, f applyFlags) error {
	if f.forceUnhealthy {
		return withCode(ExitUsage, errors.New("--force-unhealthy is not offered through the agent: run upkeep --no-agent apply --force-unhealthy … to apply in this process"))
	}
	ctx, stop := interruptible(cmd)
	defer stop()
	plan, req, err := agentPlan(ctx, cl, args, f.scanFlags)
	if err != nil {
		return err
	}
	if len(plan.Changes)+len(plan.Disable) == 0 {
		return a.print(map[string]string{"result": "up to date"}, func(w io.Writer) { fmt.Fprintln(w, "Nothing to apply: the instance is up to date.") })
	}
	if err := a.confirm(plan, f); err != nil {
		return err
	}
	run, err := cl.Apply(ctx, api.RunRequest{PlanHash: plan.Hash, Plan: req})
	if err != nil {
		return startRefused(ctx, cl, err)
	}
	fl := &follower{p: newProgress(a.errOut), steps: len(apply.Steps(plan))}
	ended, err := follow(ctx, cl, run, fl)
	if err != nil {
		return err
	}
	res := fl.result(ended)
	if err := a.print(res, func(w io.Writer) { printResult(w, res) }); err != nil {
		return err
	}
	return runOutcome(ended)
}

// rehearseViaAgent is rehearse through the running agent, shown as the
// standalone rehearse shows it.
func (a *app) rehearseViaAgent(cmd *cobra.Command, args []string, c *config.Config, cl *api.Client, f scanFlags) error {
	ctx, stop := interruptible(cmd)
	defer stop()
	plan, req, err := agentPlan(ctx, cl, args, f)
	if err != nil {
		return err
	}
	if len(plan.Changes)+len(plan.Disable) == 0 {
		return a.print(map[string]string{"result": "up to date"}, func(w io.Writer) { fmt.Fprintln(w, "Nothing to rehearse: the instance is up to date.") })
	}
	// The rehearsal's own steps come before the plan's (4 on a copy, 3 on
	// the test instance) and one after: m of "[n/m]", as the runner counts.
	on, words, setup := apply.OnCopy, "a throwaway copy", 4
	if c.TestInstanceConfig() != nil {
		on, words, setup = apply.OnTestInstance, "the test instance", 3
	}
	if !a.json {
		printPlan(a.out, plan)
		fmt.Fprintf(a.out, "\nRehearsing on %s; production is not touched.\n", words)
	}
	run, err := cl.Rehearse(ctx, api.RunRequest{PlanHash: plan.Hash, Plan: req})
	if err != nil {
		return startRefused(ctx, cl, err)
	}
	fl := &follower{p: newProgress(a.errOut), steps: len(apply.Steps(plan)) + setup + 1}
	ended, err := follow(ctx, cl, run, fl)
	if err != nil {
		return err
	}
	res := fl.rehearsal(ended, on)
	if err := a.print(res, func(w io.Writer) { printRehearsal(w, res) }); err != nil {
		return err
	}
	return rehearsalOutcome(ended)
}

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
