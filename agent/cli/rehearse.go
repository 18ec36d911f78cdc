package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

func init() { extraCommands = append(extraCommands, (*app).rehearseCmd) }

// Exit codes of rehearse and of apply's rehearsal policy, documented in docs/CLI.md.
const (
	ExitRehearsalFailed = 9  // the rehearsal ran and failed; production was not touched
	ExitNotRehearsed    = 10 // the configuration requires a passed rehearsal of the plan, and there is none
)

func (a *app) rehearseCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "rehearse [PLAN.json]",
		Short: "Apply a plan to a throwaway copy of the ERP (or the test instance): every step timed, health checks, settings drift; production is not touched",
		Long: "rehearse copies the ERP's database and module folders, neutralizes the copy (no scheduled jobs, no outgoing mail), starts it on a free " +
			"loopback port and runs the apply procedure on it; then it removes the copy. With [rehearsal.test_instance] it runs on that " +
			"instance instead and puts it back as it was. The run is recorded with the plan's hash (upkeep history).",
		Args: cobra.MaximumNArgs(1),
		RunE: a.agentCmd("rehearse", func(cmd *cobra.Command, args []string, c *config.Config, cl *api.Client) error {
			return a.rehearseViaAgent(cmd, args, c, cl, f)
		}, func(cmd *cobra.Command, args []string, c *config.Config, st *store.Store) error {
			return a.rehearse(cmd, args, c, st, f)
		}),
	}
	f.addPlanFlags(cmd)
	return cmd
}

func (a *app) rehearse(cmd *cobra.Command, args []string, c *config.Config, st *store.Store, f scanFlags) error {
	ctx, stop := interruptible(cmd)
	defer stop()
	w, err := openWriter(c)
	if err != nil {
		return err
	}
	t, err := rehearsalTarget(c, w)
	if err != nil {
		return err
	}
	af := applyFlags{scanFlags: f}
	r := a.runner(c, st, w, af)
	plan, err := a.planFor(cmd, args, c, st, af)
	if err != nil {
		return err
	}
	if len(plan.Changes)+len(plan.Disable) == 0 {
		return a.print(map[string]string{"result": "up to date"}, func(w io.Writer) { fmt.Fprintln(w, "Nothing to rehearse: the instance is up to date.") })
	}
	r.Rescan = a.rescanner(cmd, c, st, af, plan)
	if !a.json {
		printPlan(a.out, plan)
		fmt.Fprintf(a.out, "\nRehearsing on %s; production is not touched.\n", targetWords(t))
	}
	res, err := r.Rehearse(store.WithRunBy(ctx, who()), plan, t)
	return a.rehearsed(res, err)
}

// rehearsalTarget is where the configuration says rehearsals run: the
// test instance, else throwaway copies of the production ERP prod.
func rehearsalTarget(c *config.Config, prod erp.Writer) (apply.Target, error) {
	var inst erp.Writer
	if tc := c.TestInstanceConfig(); tc != nil {
		w, err := openWriter(tc)
		if err != nil {
			return apply.Target{}, fmt.Errorf("rehearsal.test_instance: %w", err)
		}
		inst = w
	}
	t, err := apply.NewTarget(prod, inst, c.Rehearsal.TestInstanceHealth())
	return t, withCode(ExitUsage, err)
}

func targetWords(t apply.Target) string {
	if t.Instance != nil {
		return "the test instance"
	}
	return "a throwaway copy"
}

// recoverRehearsal cleans up a rehearsal a crash left unfinished, before
// anything else uses the lock; the progress shows what it did.
func (a *app) recoverRehearsal(ctx context.Context, c *config.Config, w erp.Writer, r *apply.Runner) error {
	t, err := rehearsalTarget(c, w)
	if err != nil {
		t = apply.Target{} // the copy's files are removed all the same
	}
	_, err = r.RecoverRehearsal(ctx, t)
	return err
}

// requireRehearsal refuses a plan without a passed rehearsal when the
// configuration requires one.
func requireRehearsal(ctx context.Context, c *config.Config, st *store.Store, plan *scan.Plan) error {
	if !c.Schedule.Policy.RequireRehearsal {
		return nil
	}
	return withCode(ExitNotRehearsed, apply.RequireRehearsal(ctx, st, plan.Hash))
}

// rehearsed prints a rehearsal's result and maps its error to an exit code.
func (a *app) rehearsed(res *apply.RehearsalResult, err error) error {
	if res != nil {
		if perr := a.print(res, func(w io.Writer) { printRehearsal(w, res) }); perr != nil {
			return perr
		}
	}
	if errors.Is(err, apply.ErrRehearsalFailed) && !errors.Is(err, apply.ErrPlanChanged) {
		return withCode(ExitRehearsalFailed, err)
	}
	return applyCode(err)
}

func printRehearsal(w io.Writer, r *apply.RehearsalResult) {
	fmt.Fprintf(w, "\nRehearsal %d on the %s, plan %s:\n", r.Run, r.On, shortHash(r.PlanHash))
	for _, s := range r.Steps {
		fmt.Fprintf(w, "  %2d. %-72s %-8s %s\n", s.N, s.Name, s.State, s.Took.Round(time.Millisecond))
	}
	if r.Downtime > 0 {
		fmt.Fprintf(w, "  downtime on the %s: %s (production's will be about this)\n", r.On, r.Downtime.Round(10*time.Millisecond))
	}
	if r.Drift != nil {
		printDrift(w, r.Drift)
	}
	for _, x := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", x)
	}
	if r.Passed {
		fmt.Fprintf(w, "Verdict: PASSED. Production was not touched; apply the same plan (hash %s) with upkeep apply.\n", shortHash(r.PlanHash))
		return
	}
	fmt.Fprintf(w, "Verdict: FAILED at step %q: %s\nProduction was not touched. Fix the cause and rehearse again (upkeep history %d shows every step's output).\n",
		r.FailedStep, r.Error, r.Run)
}
