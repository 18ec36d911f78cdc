package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// run is one run in progress: the plan, its steps and what the journal
// says so far.
type run struct {
	r        *Runner
	id       int64
	plan     *scan.Plan
	steps    []step
	dir      string // <state>/runs/<id>: archives, backup
	staging  string // <StagingDir>/upkeep-run-<id>: new module folders, then the replaced ones
	backup   *erp.Backup
	pre      preflightInfo
	started  time.Time
	stopped  time.Time // when the stop step began (downtime starts)
	reached  map[string]bool
	next     int // the next journal step number
	downtime time.Duration
	warnings []string
	drift    *Drift
	recovery bool
	// restoring is set once the run fails: journal writes that fail then
	// release the reserve and no longer stop the restore (unjournaled
	// keeps the first such failure).
	restoring   bool
	unjournaled error
	// rehearsing names where a rehearsal runs ("the copy"); "" in production.
	rehearsing string
}

// buildSteps lists plan's steps for this run, named for a rehearsal's
// copy when it is one.
func (rn *run) buildSteps(plan *scan.Plan) []step {
	if rn.rehearsing != "" {
		return rehearsalSteps(buildSteps(plan), rn.rehearsing)
	}
	return buildSteps(plan)
}

// preflightInfo is what preflight found, journaled for a restarted agent.
type preflightInfo struct {
	Settings  map[string]string `json:"settings"`
	Unhealthy string            `json:"unhealthy,omitempty"` // the health error when forced
	// Installed are the modules installed before the stop, which the
	// read-back after each update expects still installed.
	Installed []string `json:"installed,omitempty"`
}

func (r *Runner) newRun(id int64, plan *scan.Plan) (*run, error) {
	staging, err := r.Writer.StagingDir()
	if err != nil {
		return nil, fmt.Errorf("the ERP adapter's staging folder: %w", err)
	}
	return &run{r: r, id: id, plan: plan, steps: buildSteps(plan), started: r.now(),
		dir:     filepath.Join(r.StateDir, "runs", strconv.FormatInt(id, 10)),
		staging: filepath.Join(staging, "upkeep-run-"+strconv.FormatInt(id, 10)),
		reached: map[string]bool{}, next: 1}, nil
}

// stagedPath is where change i's new folder is extracted, and where the
// folder it replaces goes once swapped.
func (rn *run) stagedPath(i int) string {
	c := rn.plan.Changes[i]
	return filepath.Join(rn.staging, fmt.Sprintf("%d-%s", c.Stage, c.Module))
}

// do runs one journaled step: its start is committed before the work, its
// end (with the output) after it.
func (rn *run) do(ctx context.Context, name string, work func(context.Context, io.Writer) error) error {
	n := rn.next
	rn.next++
	begun := rn.journal(func() error { return rn.r.Store.BeginStep(ctx, rn.id, n, name) })
	if begun != nil && !errors.Is(begun, errUnjournaled) {
		return begun
	}
	rn.reached[kindOf(name)] = true
	began := rn.r.now()
	rn.emit(Event{Step: n, Name: name, Phase: PhaseStart})
	out := newOutput(func(line string) { rn.emit(Event{Step: n, Name: name, Phase: PhaseOutput, Line: line}) })
	err := work(ctx, out)
	out.Flush()
	rn.r.hook(n, true)
	if begun == nil {
		jerr := rn.journal(func() error { return rn.r.Store.EndStep(context.WithoutCancel(ctx), rn.id, n, out.String(), err) })
		if jerr != nil && err == nil && !errors.Is(jerr, errUnjournaled) {
			err = jerr
		}
	}
	e := Event{Step: n, Name: name, Phase: PhaseDone, Took: rn.r.now().Sub(began)}
	if err != nil {
		e.Phase, e.Line = PhaseFailed, err.Error()
	}
	rn.emit(e)
	rn.r.hook(n, false)
	return err
}

// forward runs the plan's steps; the first failure restores the instance.
func (rn *run) forward(ctx context.Context) (*Result, error) {
	for i := 0; i < len(rn.steps); i++ { // preflight replaces the steps with the fresh plan's
		st := rn.steps[i]
		if err := rn.do(ctx, st.name, func(ctx context.Context, out io.Writer) error { return rn.exec(ctx, st, out) }); err != nil {
			return rn.fail(ctx, st, err)
		}
	}
	return rn.finish(ctx)
}

// exec does the work of one step.
func (rn *run) exec(ctx context.Context, st step, out io.Writer) error {
	switch st.kind {
	case kindPreflight:
		return rn.preflight(ctx, out)
	case kindDownload:
		return rn.download(ctx, out)
	case kindStop:
		rn.stopped = rn.r.now()
		return rn.r.Writer.Stop(ctx)
	case kindBackup:
		return rn.doBackup(ctx, out)
	case kindPre, kindPost:
		return rn.script(ctx, st, out)
	case kindInstall:
		return rn.install(st.change, out)
	case kindUpdate:
		return rn.update(ctx, st.stage, out)
	case kindStart:
		return rn.r.Writer.Start(ctx)
	case kindHealth:
		if err := rn.r.waitHealthy(ctx, out); err != nil {
			return err
		}
		if !rn.stopped.IsZero() {
			rn.downtime = rn.r.now().Sub(rn.stopped)
		}
		return nil
	case kindRecord:
		return rn.record(ctx, out)
	}
	return fmt.Errorf("unknown step kind %q", st.kind)
}

// fail ends a run whose step st failed with err: a run that never stopped
// the server changed nothing and ends at once; any other is restored.
func (rn *run) fail(ctx context.Context, st step, err error) (*Result, error) {
	if !rn.reached[kindStop] {
		ctx = context.WithoutCancel(ctx)
		rn.restoring = true // the end is worth the reserve too
		res, err := rn.end(ctx, store.RunEnd{State: store.RunFailedRestored, FailedStep: st.name, Error: err.Error()}, nil, err)
		rn.cleanup(ctx)
		return res, err
	}
	return rn.restore(ctx, st.name, err)
}

// end records how the run ended and builds its Result; err is returned as
// the run's error (nil for a success).
func (rn *run) end(ctx context.Context, e store.RunEnd, ledger []store.LedgerEntry, err error) (*Result, error) {
	if ferr := rn.journal(func() error { return rn.r.Store.FinishRun(ctx, rn.id, e, ledger) }); ferr != nil {
		return rn.result(e), fmt.Errorf("%w (and the journal could not record the end: %v; upkeep apply --recover-only finishes it)", orErr(err, e), ferr)
	}
	return rn.result(e), err
}

func orErr(err error, e store.RunEnd) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("run ended %s", e.State)
}

func (rn *run) result(e store.RunEnd) *Result {
	res := &Result{Run: rn.id, PlanHash: rn.plan.Hash, State: e.State, FailedStep: e.FailedStep, Error: e.Error,
		Recovered: rn.recovery, Downtime: rn.downtime, Drift: rn.drift, Warnings: rn.warnings}
	if e.State == store.RunRestoreFailed {
		res.Backup = rn.dir
	}
	return res
}

// finish records a run that passed its health checks, then cleans up.
func (rn *run) finish(ctx context.Context) (*Result, error) {
	ctx = context.WithoutCancel(ctx)
	var drift []byte
	if rn.drift != nil {
		drift, _ = json.Marshal(rn.drift)
	}
	res, err := rn.end(ctx, store.RunEnd{State: store.RunSucceeded, Drift: drift}, rn.ledger(), nil)
	if err != nil {
		return res, err
	}
	rn.cleanup(ctx)
	res.Warnings = rn.warnings
	return res, nil
}

// ledger lists what the run installed, updated and disabled.
func (rn *run) ledger() []store.LedgerEntry {
	var out []store.LedgerEntry
	for _, d := range rn.plan.Disable {
		out = append(out, store.LedgerEntry{Module: d.Module, Version: d.Version.String(), Action: store.ActionDisabled, PlanHash: rn.plan.Hash})
	}
	for _, d := range rn.plan.Enable {
		out = append(out, store.LedgerEntry{Module: d.Module, Version: d.Version.String(), Action: store.ActionInstalled, PlanHash: rn.plan.Hash})
	}
	for _, c := range rn.plan.Changes {
		action := store.ActionUpdated
		if c.From.IsZero() {
			action = store.ActionInstalled
		}
		out = append(out, store.LedgerEntry{Module: c.Module, Version: c.To.String(), Action: action, PlanHash: rn.plan.Hash})
	}
	return out
}

// cleanup removes what a finished run no longer needs: the staging folder
// (the replaced or the unused module folders), the backup and the archives.
func (rn *run) cleanup(ctx context.Context) {
	rn.removeStaging()
	if rn.backup != nil {
		if err := rn.r.Writer.DropBackup(ctx, *rn.backup); err != nil {
			rn.warn("drop the backup: %v", err)
		}
	}
	if err := os.RemoveAll(rn.dir); err != nil {
		rn.warn("remove %s: %v", rn.dir, err)
	}
}

func (rn *run) removeStaging() {
	if err := os.RemoveAll(rn.staging); err != nil {
		rn.warn("remove the staging folder %s: %v", rn.staging, err)
	}
}

func (rn *run) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	rn.warnings = append(rn.warnings, msg)
	rn.emit(Event{Phase: PhaseWarning, Line: msg})
}

func (rn *run) emit(e Event) {
	e.Run, e.Steps = rn.id, len(rn.steps)
	e.Elapsed = rn.r.now().Sub(rn.started)
	rn.r.emit(e)
}
