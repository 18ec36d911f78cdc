package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

// applyFlags are apply's options.
type applyFlags struct {
	scanFlags
	dryRun, forceUnhealthy, yes, recoverOnly bool
}

func (a *app) applyCmd() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply [PLAN.json]",
		Short: "Apply a plan (a file from 'upkeep plan --json', or planned now) with backup, rollback and crash recovery",
		Long: "apply stops the ERP, backs it up, runs the migration scripts, swaps the module folders, runs the ERP's update, " +
			"starts it and checks its health. Any failure before the health checks pass restores the instance exactly; " +
			"a run left unfinished by a crash is finished first. When the agent runs, it applies in its own process and this command " +
			"shows its progress; Ctrl-C then stops only the command, and the run goes on (upkeep history RUN follows it; upkeep cancel stops it while the ERP is not yet touched).",
		Args: cobra.MaximumNArgs(1),
		RunE: a.agentCmdWith("apply", func() localFlags {
			return localFlags{always: f.dryRun || f.recoverOnly, forceUnhealthy: f.forceUnhealthy} // the agent offers neither
		}, func(cmd *cobra.Command, args []string, c *config.Config, link agentLink) error {
			return a.apply(cmd, args, link, f)
		}),
	}
	f.addPlanFlags(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the steps with the estimated downtime and what preflight would refuse; change nothing")
	fl.BoolVar(&f.forceUnhealthy, "force-unhealthy", false, "apply even though the ERP fails its health check now (a restore brings that state back)")
	fl.BoolVar(&f.yes, "yes", false, "do not ask for confirmation")
	fl.BoolVar(&f.recoverOnly, "recover-only", false, "only finish (or retry the restore of) a run left unfinished, then stop")
	return cmd
}

// apply applies through the agent: it plans (or reads the plan file),
// asks, and has the agent plan again, refuse a plan other than the one
// shown here, and apply it; the run's progress is shown as it happens.
// In this process, a run a crash left unfinished is finished first.
func (a *app) apply(cmd *cobra.Command, args []string, link agentLink, f applyFlags) error {
	if f.forceUnhealthy && link.local == nil {
		return withCode(ExitUsage, errors.New("--force-unhealthy is not offered through the agent: run upkeep --no-agent apply --force-unhealthy … to apply in this process"))
	}
	ctx, stop := interruptible(cmd)
	defer stop()
	if f.dryRun {
		return a.dryRun(ctx, args, link, f)
	}
	if link.local != nil {
		res, err := link.local.Recover(ctx)
		if f.recoverOnly || err != nil {
			if err := a.applied(res, err, "nothing was left unfinished"); err != nil {
				return err
			}
			return recovered(res)
		}
	}
	plan, req, err := agentPlan(ctx, link.cl, args, f.scanFlags)
	if err != nil {
		return err
	}
	if len(plan.Changes)+len(plan.Disable) == 0 {
		return a.print(map[string]string{"result": "up to date"}, func(w io.Writer) { fmt.Fprintln(w, "Nothing to apply: the instance is up to date.") })
	}
	if err := a.confirm(plan, f); err != nil {
		return err
	}
	run, err := link.cl.Apply(ctx, api.RunRequest{PlanHash: plan.Hash, Plan: req})
	if err != nil {
		return startRefused(ctx, link.cl, err)
	}
	fl := &follower{p: newProgress(a.errOut), steps: len(apply.Steps(plan)), own: true}
	ended, err := follow(ctx, link, run, fl)
	if err != nil {
		return err
	}
	res := fl.result(ended)
	if err := a.print(res, func(w io.Writer) { printResult(w, res) }); err != nil {
		return err
	}
	return runOutcome(ended)
}

// recovered is --recover-only's outcome: exit 0 when nothing was left or
// the unfinished run's change was finished, 1 when it was restored.
func recovered(res *apply.Result) error {
	if res == nil || res.State == store.RunSucceeded {
		return nil
	}
	return withCode(ExitError, fmt.Errorf("run %d was not finished: it ended %s, the instance as it was before it", res.Run, res.State))
}

// readPlan reads a plan file that 'upkeep plan --json' wrote.
func readPlan(path string) (*scan.Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, withCode(ExitUsage, fmt.Errorf("read the plan: %w", err))
	}
	var p scan.Plan
	if err := json.Unmarshal(data, &p); err != nil || p.Hash == "" || p.Schema != scan.PlanSchema {
		return nil, withCode(ExitUsage, fmt.Errorf("%s is not a plan from 'upkeep plan --json' (schema %d): %v", path, scan.PlanSchema, err))
	}
	return &p, nil
}

// implied adds to the flags given the choices the plan implies: its new
// modules, upgrades and disables.
func (f scanFlags) implied(plan *scan.Plan) scanFlags {
	sf := f
	sf.install, sf.upgrades = slices.Clone(f.install), slices.Clone(f.upgrades)
	sf.disableBlockers = sf.disableBlockers || len(plan.Disable) > 0
	sf.updateAll = sf.updateAll || plan.UpdateAll
	for _, ch := range plan.Changes {
		switch {
		case ch.From.IsZero() && !slices.Contains(sf.install, ch.Module):
			sf.install = append(sf.install, ch.Module)
		case !ch.From.IsZero() && ch.Kind == catalog.KindUpgrade && !slices.Contains(sf.upgrades, ch.Module):
			sf.upgrades = append(sf.upgrades, ch.Module)
		}
	}
	return sf
}

// confirm shows the plan and asks, unless --yes.
func (a *app) confirm(plan *scan.Plan, f applyFlags) error {
	if !a.json {
		printPlan(a.out, plan)
	}
	if f.yes {
		return nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return withCode(ExitUsage, errors.New("apply changes the ERP and there is no terminal to ask on: confirm with --yes"))
	}
	fmt.Fprintf(a.out, "Apply these changes now? The ERP stops until they are done. [y/N] ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	if ans := strings.ToLower(strings.TrimSpace(line)); ans != "y" && ans != "yes" {
		return errors.New("not applied: the answer was not yes")
	}
	return nil
}

// applied prints a run's result and maps its error to an exit code.
func (a *app) applied(res *apply.Result, err error, none string) error {
	if res == nil && err == nil {
		return a.print(map[string]string{"result": none}, func(w io.Writer) { fmt.Fprintln(w, none) })
	}
	if res != nil {
		if perr := a.print(res, func(w io.Writer) { printResult(w, res) }); perr != nil {
			return perr
		}
	}
	return agentCode(err)
}

func printResult(w io.Writer, r *apply.Result) {
	what := "Run"
	if r.Recovered {
		what = "Unfinished run"
	}
	fmt.Fprintf(w, "%s %d (plan %s): %s", what, r.Run, shortHash(r.PlanHash), r.State)
	if r.Downtime > 0 {
		fmt.Fprintf(w, ", downtime %s", r.Downtime.Round(10*time.Millisecond))
	}
	fmt.Fprintln(w)
	switch {
	case r.FailedStep != "" && r.State == api.RunCancelled:
		fmt.Fprintf(w, "  cancelled during: %s (the ERP was not touched)\n", r.FailedStep)
	case r.FailedStep != "" && r.State == api.RunFailed:
		fmt.Fprintf(w, "  failed step: %s (before the ERP was touched: nothing changed, nothing to restore)\n", r.FailedStep)
	case r.FailedStep != "":
		fmt.Fprintf(w, "  failed step: %s\n", r.FailedStep)
	}
	if r.Drift != nil {
		printDrift(w, r.Drift)
	}
	for _, x := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", x)
	}
}

func printDrift(w io.Writer, d *apply.Drift) {
	if d.Empty() {
		fmt.Fprintln(w, "  settings drift: none")
		return
	}
	fmt.Fprintf(w, "  settings drift: %d added, %d removed, %d changed (check that the update was meant to change them)\n", len(d.Added), len(d.Removed), len(d.Changed))
	for _, s := range d.Added {
		fmt.Fprintf(w, "    + %s = %s\n", s.Key, s.Value)
	}
	for _, s := range d.Removed {
		fmt.Fprintf(w, "    - %s = %s\n", s.Key, s.Value)
	}
	for _, s := range d.Changed {
		fmt.Fprintf(w, "    ~ %s: %s -> %s\n", s.Key, s.Before, s.After)
	}
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// dryRun prints the steps and the estimated downtime (the agent in this
// process: the running agent offers no dry run).
func (a *app) dryRun(ctx context.Context, args []string, link agentLink, f applyFlags) error {
	var file *scan.Plan
	req := f.planRequest()
	if len(args) == 1 {
		p, err := readPlan(args[0])
		if err != nil {
			return err
		}
		file, req = p, f.implied(p).planRequest()
	}
	plan, d, err := link.local.Backend.DryRun(ctx, file, req)
	if err != nil {
		return err
	}
	return a.print(d, func(w io.Writer) { printDryRun(w, plan, d) })
}

func printDryRun(w io.Writer, plan *scan.Plan, d *apply.DryRunReport) {
	printPlan(w, plan)
	src := "default guesses"
	if d.Measured {
		src = "measured on earlier runs here"
	}
	fmt.Fprintf(w, "\nSteps (estimates: %s):\n", src)
	for _, s := range d.Steps {
		mark := " "
		if s.Downtime {
			mark = "*"
		}
		fmt.Fprintf(w, " %s %2d. %-60s ~%s\n", mark, s.N, s.Name, s.Estimate.Round(100*time.Millisecond))
	}
	fmt.Fprintf(w, "Estimated downtime (steps marked *): %s\n", d.Downtime.Round(100*time.Millisecond))
	for _, p := range d.Problems {
		fmt.Fprintf(w, "would be refused: %s\n", p)
	}
	if len(d.Problems) == 0 {
		fmt.Fprintln(w, "Preflight would pass now.")
	}
}

// progress shows a run's events: a live status line on a terminal, plain
// lines otherwise. Plain lines leave out the steps' starts and ends when
// the command's report lists every step (listed), so that a log of stdout
// and stderr together says each step once.
type progress struct {
	w      io.Writer
	tty    bool
	listed bool   // the report printed at the end lists every step
	line   string // the status line shown (terminal)
	// backedUp: the run made its backup, so a restore has the step that
	// puts the database back (restore steps are numbered on their own).
	backedUp bool
}

// restoreSteps is the number of a restore's steps (stop, module folders,
// start, health checks) without the database's.
const restoreSteps = 4

// head is "[n/m] step" for a step of the plan; the steps after the last
// (a restore's) are numbered on their own: "[restore 1/5] restore: …".
func (p *progress) head(e apply.Event) string {
	if e.Step <= e.Steps || e.Steps == 0 {
		return fmt.Sprintf("[%d/%d] %s", e.Step, e.Steps, e.Name)
	}
	k, total := e.Step-e.Steps, restoreSteps
	if p.backedUp {
		total++
	}
	if !strings.HasPrefix(e.Name, "restore: ") || k > total {
		return fmt.Sprintf("[after %d] %s", k, e.Name)
	}
	return fmt.Sprintf("[restore %d/%d] %s", k, total, e.Name)
}

// elapsed is the time since the run started, as precise as it is short.
func elapsed(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// listing marks p as shown before a report that lists every step.
func (p *progress) listing() *progress {
	p.listed = true
	return p
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""}
}

func (p *progress) event(e apply.Event) {
	head := p.head(e)
	if e.Phase == apply.PhaseDone && e.Name == backupStep {
		p.backedUp = true
	}
	if !p.tty && p.listed && (e.Phase == apply.PhaseStart || e.Phase == apply.PhaseDone || e.Phase == apply.PhaseFailed) {
		return
	}
	switch e.Phase {
	case apply.PhaseStart:
		p.status(head + " …")
	case apply.PhaseOutput:
		p.print("    " + e.Line)
	case apply.PhaseDone:
		p.status("")
		p.print(fmt.Sprintf("%s  ok (%s, %s elapsed)", head, e.Took.Round(time.Millisecond), elapsed(e.Elapsed)))
	case apply.PhaseFailed:
		p.status("")
		p.print(fmt.Sprintf("%s  FAILED after %s: %s", head, e.Took.Round(time.Millisecond), e.Line))
	case apply.PhaseWarning:
		p.print("warning: " + e.Line)
	case apply.PhaseRecovered:
		p.print(e.Line)
	}
}

// status replaces the terminal's status line (plain output prints starts as lines).
func (p *progress) status(s string) {
	if !p.tty {
		if s != "" {
			fmt.Fprintln(p.w, s)
		}
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s", s)
	p.line = s
}

// print prints a line above the status line.
func (p *progress) print(s string) {
	if !p.tty {
		fmt.Fprintln(p.w, s)
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s\n%s", s, p.line)
}
