package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
)

// statusView is `upkeep status`: the Monday-morning view.
type statusView struct {
	// Agent is the running agent's status; without one (Unreachable says
	// why) the rest is read from the state database.
	Agent       *api.Status `json:"agent"`
	Unreachable string      `json:"agent_unreachable,omitempty"`
	Runs        []api.Run   `json:"runs"`
	Events      []api.Event `json:"events"` // the latest, oldest first
}

func (a *app) statusCmd() *cobra.Command {
	var runs, events int
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the last check, the run in progress, the last runs and the last events (through the agent when it runs)",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.agentCmd("", func(cmd *cobra.Command, _ []string, _ *config.Config, link agentLink) error {
			v := statusView{Agent: link.st}
			st := link.st
			if st == nil {
				v.Unreachable = link.why
				var err error
				if st, err = link.cl.Status(cmd.Context()); err != nil {
					return err
				}
			}
			if err := v.fill(cmd.Context(), link.cl, runs, events); err != nil {
				return err
			}
			return a.print(v, func(w io.Writer) { printStatus(w, st, v) })
		}),
	}
	cmd.Flags().IntVar(&runs, "runs", 5, "how many runs to show")
	cmd.Flags().IntVar(&events, "events", 10, "how many events to show")
	return cmd
}

// fill reads the last runs and events.
func (v *statusView) fill(ctx context.Context, src *api.Client, runs, events int) error {
	var err error
	if v.Runs, err = src.Runs(ctx, max(runs, 1)); err != nil {
		return err
	}
	v.Runs = v.Runs[:min(len(v.Runs), runs)]
	v.Events, err = lastEvents(ctx, src, events)
	return err
}

// lastEvents pages through the history and keeps the last n events.
func lastEvents(ctx context.Context, src *api.Client, n int) ([]api.Event, error) {
	const page = 1000
	out := []api.Event{}
	var since int64
	for {
		evs, err := src.Events(ctx, api.EventQuery{Since: since, Limit: page})
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
		out = out[max(0, len(out)-n):]
		if len(evs) < page {
			return out, nil
		}
		since = evs[len(evs)-1].ID
	}
}

func printStatus(w io.Writer, st *api.Status, v statusView) {
	switch {
	case v.Agent != nil:
		fmt.Fprintf(w, "Agent: running, pid %d, since %s (version %s)\n", st.PID, st.Since.Local().Format("Mon 2 Jan 15:04"), strings.Trim(st.Version, "()"))
	case v.Unreachable == notAsked:
		fmt.Fprintln(w, "Agent: not asked (--no-agent)\nRead from the state database.")
	default:
		fmt.Fprintf(w, "Agent: not running (%s)\nRead from the state database.\n", v.Unreachable)
	}
	fmt.Fprintf(w, "ERP: %s   configuration: %s\n", st.ERP, st.Config)
	if st.LastScan != nil {
		fmt.Fprintf(w, "Last check: %s: %s\n", stamp(st.LastScan.At), st.LastScan.Summary)
	} else {
		fmt.Fprintln(w, "Last check: none yet (upkeep check-now, or upkeep scan)")
	}
	printSchedule(w, st.Schedule)
	if r := st.Running; r != nil && r.State == api.RunNeedsRecovery {
		fmt.Fprintf(w, "Run %s NEEDS RECOVERY: it was left unfinished at %q; run upkeep apply --recover-only\n", r.ID, r.Step)
	} else if r != nil {
		fmt.Fprintf(w, "Run in progress: %s %s (%s) at %q: upkeep history %s follows it; upkeep cancel stops it while the ERP is not yet touched\n",
			r.Kind, r.ID, r.State, r.Step, r.ID)
	}
	for _, n := range st.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	fmt.Fprintln(w, "\nLast runs:")
	printAPIRuns(w, v.Runs)
	fmt.Fprintln(w, "\nLast events:")
	if len(v.Events) == 0 {
		fmt.Fprintln(w, "  none yet")
	}
	for _, e := range v.Events {
		fmt.Fprintf(w, "  %s  %-7s  %s\n", e.At.Local().Format("Mon 2 Jan 15:04"), e.Severity, e.Summary)
	}
}

// printSchedule says when the agent's schedule checks next, how often,
// and what its policy does (nothing without a schedule).
func printSchedule(w io.Writer, s *api.ScheduleInfo) {
	if s == nil {
		return
	}
	every := "every " + s.Every
	if s.Cron != "" {
		every = "cron " + s.Cron
	}
	if len(s.Windows) > 0 {
		every += ", windows " + strings.Join(s.Windows, ", ")
	}
	next := "not planned"
	if !s.NextScan.IsZero() {
		next = s.NextScan.Local().Format("Mon 2 Jan 15:04:05 MST")
	}
	fmt.Fprintf(w, "Next check: %s (%s; patches: %s, updates: %s, upgrades: %s)\n", next, every, s.Patches, s.Updates, s.Upgrades)
}

func printAPIRuns(w io.Writer, runs []api.Run) {
	if len(runs) == 0 {
		fmt.Fprintln(w, "  none yet")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  RUN\tSTARTED\tKIND\tSTATE\tBY\tTOOK\tSTEP")
	for _, r := range runs {
		d := time.Duration(0)
		if r.Ended != nil {
			d = r.Ended.Sub(r.Started)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Started.Local().Format("2006-01-02 15:04:05"), r.Kind, r.State,
			orDash(r.By), took(d), r.Step)
	}
	tw.Flush()
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func (a *app) checkNowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check-now",
		Short: "Ask the running agent to check for patches, updates and upgrades now, record the news and show the report",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.load()
			if err != nil {
				return err
			}
			link, err := a.running(cmd.Context(), c, "check-now")
			if err != nil {
				return err
			}
			if link.cl == nil {
				return fmt.Errorf("check-now asks the running agent: %s\n(upkeep scan checks without the agent)", link.why)
			}
			r, err := link.cl.Scan(cmd.Context(), api.ScanRequest{})
			if err != nil {
				return agentCode(err)
			}
			return a.print(r, func(w io.Writer) {
				fmt.Fprintf(w, "Check %d at %s: %s\n\n", r.ID, stamp(r.At), r.Summary)
				printReport(w, r.Report, colors(a.out))
			})
		},
	}
}
