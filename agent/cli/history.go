package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// runDetail is `upkeep history RUN`: the run, its steps and its drift report.
type runDetail struct {
	*store.Run
	Drift *apply.Drift `json:"drift,omitempty"`
}

func (a *app) historyCmd() *cobra.Command {
	var limit int
	var outputs bool
	cmd := &cobra.Command{
		Use:   "history [RUN]",
		Short: "List the apply runs, or show one run's steps with their timing and output",
		Args:  cobra.MaximumNArgs(1),
		RunE: a.agentCmd("", func(cmd *cobra.Command, args []string, _ *config.Config, link agentLink) error {
			if len(args) == 0 {
				return a.agentRuns(cmd.Context(), link.cl, limit)
			}
			d, err := a.agentRun(cmd, link, args[0])
			if err != nil {
				return err
			}
			return a.print(d, func(w io.Writer) { printRun(w, d, outputs) })
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs to list")
	cmd.Flags().BoolVar(&outputs, "output", false, "show every step's output (by default only failed steps')")
	return cmd
}

// runNumber reads a RUN argument.
func runNumber(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, withCode(ExitUsage, fmt.Errorf("RUN %q: give a run number from upkeep history", arg))
	}
	return id, nil
}

// agentRuns lists the agent's runs as the journal keeps them.
func (a *app) agentRuns(ctx context.Context, cl *api.Client, limit int) error {
	list, err := cl.Runs(ctx, min(max(limit, 1), 1000))
	if err != nil {
		return err
	}
	runs := make([]store.Run, len(list))
	for i := range list {
		runs[i] = *journalRun(&list[i], nil)
	}
	runs = runs[:min(len(runs), max(limit, 0))]
	return a.print(runs, func(w io.Writer) { printRuns(w, runs) })
}

// agentRun is one of the agent's runs with its steps. A run still going
// is followed to its end, its progress shown as apply shows it; Ctrl-C
// stops following, not the run.
func (a *app) agentRun(cmd *cobra.Command, link agentLink, arg string) (runDetail, error) {
	if _, err := runNumber(arg); err != nil {
		return runDetail{}, err
	}
	ctx, stop := interruptible(cmd)
	defer stop()
	run, err := link.cl.Run(ctx, arg)
	if err != nil {
		return runDetail{}, err
	}
	fl := &follower{}
	if run.Ended == nil {
		fl.p = newProgress(a.errOut).listing()
	}
	if run, err = follow(ctx, link, run, fl); err != nil {
		return runDetail{}, err
	}
	return runDetail{Run: journalRun(run, fl), Drift: applyDrift(run.Drift)}, nil
}

func printRuns(w io.Writer, runs []store.Run) {
	if len(runs) == 0 {
		fmt.Fprintln(w, "No runs yet.")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tKIND\tSTATE\tBY\tTOOK\tPLAN\tFAILED STEP")
	for _, r := range runs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, stamp(r.StartedAt), r.Kind, r.State, orDash(r.By), took(r.Duration()),
			shortHash(r.PlanHash), r.FailedStep)
	}
	tw.Flush()
}

func printRun(w io.Writer, d runDetail, outputs bool) {
	r := d.Run
	by := ""
	if r.By != "" {
		by = " by " + r.By
	}
	fmt.Fprintf(w, "Run %d: %s %s, plan %s, started %s%s, took %s\n", r.ID, r.Kind, r.State, r.PlanHash, stamp(r.StartedAt), by, took(r.Duration()))
	if r.Error != "" {
		fmt.Fprintf(w, "  failed step: %s\n  error: %s\n", r.FailedStep, r.Error)
	}
	if r.RestoreError != "" {
		fmt.Fprintf(w, "  restore: %s\n", r.RestoreError)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\n  N\tSTEP\tSTATE\tTOOK")
	for _, s := range r.Steps {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", s.N, s.Name, s.State, took(s.Duration()))
	}
	tw.Flush()
	for _, s := range r.Steps {
		if s.Output == "" && s.Error == "" || !outputs && s.State != store.StepFailed {
			continue
		}
		fmt.Fprintf(w, "\n--- step %d, %s (%s)\n", s.N, s.Name, s.State)
		if s.Output != "" {
			fmt.Fprintln(w, strings.TrimRight(s.Output, "\n"))
		}
		if s.Error != "" {
			fmt.Fprintf(w, "error: %s\n", s.Error)
		}
	}
	if d.Drift != nil {
		printDrift(w, d.Drift)
	}
}

func stamp(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func took(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(10 * time.Millisecond).String()
}
