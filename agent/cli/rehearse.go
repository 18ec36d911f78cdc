package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
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
		RunE: a.agentCmd("rehearse", func(cmd *cobra.Command, args []string, c *config.Config, link agentLink) error {
			return a.rehearse(cmd, args, c, link, f)
		}),
	}
	f.addPlanFlags(cmd)
	return cmd
}

// rehearse has the agent plan again, refuse a plan other than the one
// shown here, and rehearse it; the run's progress is shown as it happens.
func (a *app) rehearse(cmd *cobra.Command, args []string, c *config.Config, link agentLink, f scanFlags) error {
	cl := link.cl
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
	fl := &follower{p: newProgress(a.errOut).listing(), steps: len(apply.Steps(plan)) + setup + 1, own: true}
	ended, err := follow(ctx, link, run, fl)
	if err != nil {
		return err
	}
	res := fl.rehearsal(ended, on)
	if err := a.print(res, func(w io.Writer) { printRehearsal(w, res) }); err != nil {
		return err
	}
	return rehearsalOutcome(ended)
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
