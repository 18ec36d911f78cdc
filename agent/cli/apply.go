package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/command"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

func init() { extraCommands = append(extraCommands, (*app).applyCmd, (*app).historyCmd) }

// Exit codes of apply, documented in docs/CLI.md.
const (
	ExitLocked        = 7 // another apply is running
	ExitRestoreFailed = 8 // the apply failed and so did its restore: the instance needs attention
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
		RunE: func(cmd *cobra.Command, args []string) error {
			alone := func(cmd *cobra.Command, args []string, c *config.Config, st *store.Store) error {
				return a.apply(cmd, args, c, st, f)
			}
			if f.dryRun || f.recoverOnly { // the agent offers neither
				return a.withState(alone)(cmd, args)
			}
			return a.agentCmd("apply", func(cmd *cobra.Command, args []string, c *config.Config, cl *api.Client) error {
				return a.applyViaAgent(cmd, args, c, cl, f)
			}, alone)(cmd, args)
		},
	}
	f.addPlanFlags(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the steps with the estimated downtime and what preflight would refuse; change nothing")
	fl.BoolVar(&f.forceUnhealthy, "force-unhealthy", false, "apply even though the ERP fails its health check now (a restore brings that state back)")
	fl.BoolVar(&f.yes, "yes", false, "do not ask for confirmation")
	fl.BoolVar(&f.recoverOnly, "recover-only", false, "only finish (or retry the restore of) a run left unfinished, then stop")
	return cmd
}

func (a *app) apply(cmd *cobra.Command, args []string, c *config.Config, st *store.Store, f applyFlags) error {
	ctx, stop := interruptible(cmd)
	defer stop()
	w, err := openWriter(c)
	if err != nil {
		return err
	}
	r := a.runner(c, st, w, f)
	if f.dryRun {
		return a.dryRun(cmd, args, c, st, r, f)
	}
	if err := a.recoverRehearsal(ctx, c, w, r); err != nil { // rehearse.go
		return applyCode(err)
	}
	res, err := r.Recover(ctx)
	if f.recoverOnly || err != nil {
		return a.applied(res, err, "nothing was left unfinished")
	}
	plan, err := a.planFor(cmd, args, c, st, f)
	if err != nil {
		return err
	}
	if len(plan.Changes)+len(plan.Disable) == 0 {
		return a.print(map[string]string{"result": "up to date"}, func(w io.Writer) { fmt.Fprintln(w, "Nothing to apply: the instance is up to date.") })
	}
	if err := requireRehearsal(ctx, c, st, plan); err != nil { // rehearse.go
		return err
	}
	r.Rescan = a.rescanner(cmd, c, st, f, plan)
	if err := a.confirm(plan, f); err != nil {
		return err
	}
	res, err = r.Apply(store.WithRunBy(ctx, who()), plan)
	return a.applied(res, err, "")
}

// runner builds the apply runner from the configuration.
func (a *app) runner(c *config.Config, st *store.Store, w erp.Writer, f applyFlags) *apply.Runner {
	p := newProgress(a.errOut)
	return &apply.Runner{Writer: w, Store: st, StateDir: c.State.Dir, FetcherFor: fetchers(c), Health: c.ERP.Health,
		Config: c.Apply, ForceUnhealthy: f.forceUnhealthy, Progress: p.event}
}

// openWriter returns the write side of the configured ERP.
func openWriter(c *config.Config) (erp.Writer, error) {
	switch c.ERP.Kind {
	case "demo":
		return openDemoWriter(c)
	case "command":
		return openCommandWriter(c)
	case "tryton":
		return openTrytonWriter(c)
	}
	return nil, withCode(ExitUsage, fmt.Errorf("erp.kind = %q: use demo, tryton or command", c.ERP.Kind))
}

// openCommandWriter drives an OpenERP-style ERP through its commands.
func openCommandWriter(c *config.Config) (erp.Writer, error) {
	srv, err := serverControl(c.ERP.Server)
	if err != nil {
		return nil, err
	}
	w, err := command.New(c.ERP.Command, srv)
	return w, withCode(ExitUsage, err)
}

// openDemoWriter drives the demo ERP: its server through erp.server.
func openDemoWriter(c *config.Config) (erp.Writer, error) {
	srv, err := serverControl(c.ERP.Server)
	if err != nil {
		return nil, err
	}
	d := c.ERP.Demo
	w, err := demo.NewWriter(demo.Config{Dir: d.Dir, URL: d.URL, Command: d.Command, Server: srv})
	return w, withCode(ExitUsage, err)
}

// openTrytonWriter drives a Tryton 6.0 instance: module versions on its
// overlay (built by upkeep setup), trytond-admin for the update, its
// server through erp.server.
func openTrytonWriter(c *config.Config) (erp.Writer, error) {
	srv, err := serverControl(c.ERP.Server)
	if err != nil {
		return nil, err
	}
	t := c.ERP.Tryton
	w, err := tryton.NewWriter(tryton.WriterConfig{Config: trytonConfig(t), Server: srv, URL: t.URL,
		User: t.User, PasswordFile: t.PasswordFile, PGBackup: t.PGBackup})
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	return w, nil
}

// serverControl is how the agent stops and starts the ERP's server.
func serverControl(s config.Server) (erp.Server, error) {
	srv, err := proc.New(proc.Config{SystemdUnit: s.SystemdUnit, PIDFile: s.PIDFile, Start: s.Start, Stop: s.Stop,
		Log: s.Log, StopTimeout: s.StopTimeout.Duration})
	return srv, withCode(ExitUsage, err)
}

// fetchers returns the archive fetcher of each repository a plan names:
// a series repository of the central one, or a private one (NAME@HOST).
func fetchers(c *config.Config) func(string) (apply.Fetcher, error) {
	return func(repository string) (apply.Fetcher, error) {
		if strings.Contains(repository, "@") {
			for _, p := range c.Repository.Private {
				if u, _ := url.Parse(p.URL); p.Name+"@"+u.Host == repository { // validated with the configuration
					cl, _, err := privateClient(c, p)
					return cl, err
				}
			}
			return nil, fmt.Errorf("the plan names private repository %s, which the configuration no longer lists: plan again", repository)
		}
		return client(c, repository)
	}
}

// planFor reads the plan file, or scans and plans now.
func (a *app) planFor(cmd *cobra.Command, args []string, c *config.Config, st *store.Store, f applyFlags) (*scan.Plan, error) {
	if len(args) == 0 {
		rep, err := a.scan(cmd, c, st, f.scanFlags)
		if err != nil {
			return nil, err
		}
		return rep.Plan(scan.PlanOptions{IncludeUpgrades: f.upgrades, DisableBlockers: f.disableBlockers})
	}
	return readPlan(args[0])
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

// rescanner plans again with the flags given and those the plan implies,
// for preflight's hash check.
func (a *app) rescanner(cmd *cobra.Command, c *config.Config, st *store.Store, f applyFlags, plan *scan.Plan) func(context.Context) (*scan.Plan, error) {
	sf := f.scanFlags.implied(plan)
	return func(ctx context.Context) (*scan.Plan, error) {
		cmd.SetContext(ctx)
		rep, err := a.scan(cmd, c, st, sf)
		if err != nil {
			return nil, err
		}
		return rep.Plan(scan.PlanOptions{IncludeUpgrades: sf.upgrades, DisableBlockers: sf.disableBlockers})
	}
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
	return applyCode(err)
}

// applyCode gives a run's error its exit code.
func applyCode(err error) error {
	var ce cliutil.CodeError
	switch {
	case err == nil, errors.As(err, &ce):
		return err
	case errors.Is(err, apply.ErrLocked):
		return withCode(ExitLocked, err)
	case errors.Is(err, apply.ErrPlanChanged):
		return withCode(ExitPlanChanged, err)
	case errors.Is(err, apply.ErrRestoreFailed):
		return withCode(ExitRestoreFailed, err)
	}
	return withCode(ExitError, err)
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

// dryRun prints the steps and the estimated downtime.
func (a *app) dryRun(cmd *cobra.Command, args []string, c *config.Config, st *store.Store, r *apply.Runner, f applyFlags) error {
	if p, err := st.PendingRun(cmd.Context()); err != nil || p != nil {
		if err != nil {
			return err
		}
		return fmt.Errorf("run %d is %s: finish it first with upkeep apply --recover-only", p.ID, p.State)
	}
	plan, err := a.planFor(cmd, args, c, st, f)
	if err != nil {
		return err
	}
	r.Rescan = a.rescanner(cmd, c, st, f, plan)
	d, err := r.DryRun(cmd.Context(), plan)
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
// lines otherwise.
type progress struct {
	w    io.Writer
	tty  bool
	line string // the status line shown (terminal)
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, tty: ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""}
}

func (p *progress) event(e apply.Event) {
	head := fmt.Sprintf("[%d/%d] %s", e.Step, e.Steps, e.Name)
	if e.Step > e.Steps {
		head = fmt.Sprintf("[%d] %s", e.Step, e.Name)
	}
	switch e.Phase {
	case apply.PhaseStart:
		p.status(head + " …")
	case apply.PhaseOutput:
		p.print("    " + e.Line)
	case apply.PhaseDone:
		p.status("")
		p.print(fmt.Sprintf("%s  ok (%s, %s elapsed)", head, e.Took.Round(time.Millisecond), e.Elapsed.Round(100*time.Millisecond)))
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
