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
	"strings"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// restoreStep is one journaled step of a restore; every one is safe to
// repeat, so a restore interrupted by a crash simply runs again.
type restoreStep struct {
	name string
	work func(context.Context, io.Writer) error
}

// restore brings the instance back to how it was before the run: server
// stopped, module folders swapped back, database restored, server started
// and healthy. A failure stops the restore and keeps the backup.
func (rn *run) restore(ctx context.Context, failedStep string, cause error) (*Result, error) {
	ctx = context.WithoutCancel(ctx)
	rn.restoring = true
	err := rn.journal(func() error { return rn.r.Store.SetRunRestoring(ctx, rn.id, failedStep, cause.Error()) })
	if err != nil && !errors.Is(err, errUnjournaled) {
		return rn.result(store.RunEnd{State: store.RunRestoring, FailedStep: failedStep, Error: cause.Error()}), err
	}
	for _, s := range rn.restoreSteps() {
		if err := rn.do(ctx, s.name, s.work); err != nil {
			return rn.restoreFailed(ctx, failedStep, cause, s.name, err)
		}
	}
	res, err := rn.end(ctx, store.RunEnd{State: store.RunFailedRestored, FailedStep: failedStep, Error: cause.Error()}, nil,
		fmt.Errorf("step %q failed: %w; the instance was restored as it was before the apply", failedStep, cause))
	if rn.unjournaled != nil { // the ERP is back; the journal does not say so: keep the backup
		res.State, res.Backup = store.RunRestoring, rn.dir
		err := rn.unjournaledRestore(failedStep, cause, nil)
		res.Error = err.Error()
		return res, err
	}
	rn.cleanup(ctx)
	res.Warnings = rn.warnings
	return res, err
}

func (rn *run) restoreSteps() []restoreStep {
	w := rn.r.Writer
	steps := []restoreStep{
		{"restore: stop the ERP server", func(ctx context.Context, _ io.Writer) error { return w.Stop(ctx) }},
		{"restore: put the previous module folders back", rn.uninstallAll},
	}
	if rn.backup != nil {
		b := *rn.backup
		steps = append(steps, restoreStep{"restore: the database from the backup", func(ctx context.Context, out io.Writer) error {
			fmt.Fprintf(out, "restoring the %s backup %s\n", b.Method, short(b.Checksum))
			return w.Restore(ctx, b)
		}})
	}
	return append(steps,
		restoreStep{"restore: start the ERP server", func(ctx context.Context, _ io.Writer) error { return w.Start(ctx) }},
		restoreStep{"restore: health checks", rn.restoredHealth})
}

// uninstallAll swaps back every change's folder, last change first.
func (rn *run) uninstallAll(_ context.Context, out io.Writer) error {
	for i := len(rn.plan.Changes) - 1; i >= 0; i-- {
		if err := rn.uninstall(i, out); err != nil {
			return err
		}
	}
	return nil
}

// restoredHealth waits for the restored server; when the ERP was already
// unhealthy before a forced apply, still failing is only a warning.
func (rn *run) restoredHealth(ctx context.Context, out io.Writer) error {
	err := rn.r.waitHealthy(ctx, out)
	if err != nil && rn.pre.Unhealthy != "" {
		rn.warn("the ERP was unhealthy before the apply (--force-unhealthy) and is again after the restore: %v", err)
		return nil
	}
	if err == nil && !rn.stopped.IsZero() {
		rn.downtime = rn.r.now().Sub(rn.stopped)
	}
	return err
}

// restoreFailed stops: it keeps the backup and the staging folder and
// says what to run.
func (rn *run) restoreFailed(ctx context.Context, failedStep string, cause error, at string, err error) (*Result, error) {
	where := rn.dir
	if b := rn.backup; b != nil {
		where = strings.TrimSpace(fmt.Sprintf("%s %s", b.Path, b.Database)) + " (method " + b.Method + ")"
	}
	msg := fmt.Sprintf("%s failed: %v. The backup of the database is kept in %s and the previous module folders in %s. "+
		"Fix that cause, then run: upkeep apply --recover-only (it repeats the restore, which is safe to repeat)",
		at, err, where, rn.staging)
	res, ferr := rn.end(ctx, store.RunEnd{State: store.RunRestoreFailed, FailedStep: failedStep, Error: cause.Error(), RestoreError: msg}, nil,
		fmt.Errorf("%w: step %q failed (%v), then %s", ErrRestoreFailed, failedStep, cause, msg))
	res.Error = cause.Error() + "; " + msg
	if rn.unjournaled != nil {
		res.State = store.RunRestoring
		uerr := rn.unjournaledRestore(failedStep, cause, fmt.Errorf("%s failed: %w", at, err))
		res.Error = uerr.Error()
		return res, uerr
	}
	return res, ferr
}

// recover finishes the pending run, if any; with none, it removes what
// finished runs left behind.
func (r *Runner) recover(ctx context.Context) (*Result, error) {
	p, err := r.Store.PendingRun(ctx)
	if err != nil || p == nil {
		if err == nil {
			r.sweep(ctx)
		}
		return nil, err
	}
	if p.Kind != store.KindApply {
		return nil, fmt.Errorf("run %d is a %s, which the apply runner cannot finish: finish it with the command that started it", p.ID, p.Kind)
	}
	var plan scan.Plan
	if err := json.Unmarshal([]byte(p.Plan), &plan); err != nil {
		return nil, fmt.Errorf("run %d: its journaled plan is unreadable (%w): the state database is damaged; restore the ERP from %s by hand",
			p.ID, err, filepath.Join(r.StateDir, "runs", strconv.FormatInt(p.ID, 10)))
	}
	rn, err := r.newRun(p.ID, &plan)
	if err != nil {
		return nil, err
	}
	if err := rn.load(p); err != nil {
		return nil, err
	}
	res, err := rn.resume(ctx, p)
	if res == nil {
		return nil, err
	}
	rn.emit(Event{Phase: PhaseRecovered, Line: fmt.Sprintf("run %d, left unfinished, was finished: %s", p.ID, res.State)})
	if now, jerr := r.Store.Run(ctx, p.ID); jerr == nil && !now.Pending() {
		return res, nil // converged: the run's own failure is in res, not an error of the recovery
	}
	return res, err
}

// load reads what the journal says about the run.
func (rn *run) load(p *store.Run) error {
	rn.recovery, rn.next = true, p.NextStep()
	for _, s := range p.Steps {
		rn.reached[kindOf(s.Name)] = true
	}
	if p.Backup != "" {
		var b erp.Backup
		if err := json.Unmarshal([]byte(p.Backup), &b); err != nil {
			return fmt.Errorf("run %d: its journaled backup is unreadable (%w): the state database is damaged; the backup is in %s", p.ID, err, rn.dir)
		}
		rn.backup = &b
	}
	if p.Preflight != "" {
		if err := json.Unmarshal([]byte(p.Preflight), &rn.pre); err != nil {
			return fmt.Errorf("run %d: its journaled preflight is unreadable: %w", p.ID, err)
		}
	}
	return nil
}

// resume finishes a run the journal shows pending: after the commit point
// (the health step done) forward, else back.
func (rn *run) resume(ctx context.Context, p *store.Run) (*Result, error) {
	if p.State != store.RunRunning {
		return rn.restore(ctx, p.FailedStep, errors.New(p.Error))
	}
	for _, s := range p.Steps {
		if kindOf(s.Name) == kindHealth && s.State == store.StepDone {
			return rn.rollForward(ctx)
		}
	}
	failed := "before the first step"
	if len(p.Steps) > 0 {
		failed = p.Steps[len(p.Steps)-1].Name
	}
	cause := fmt.Errorf("the agent stopped during step %q (a crash, a kill or a power cut)", failed)
	return rn.fail(ctx, step{name: failed}, cause)
}

// rollForward finishes a run whose new version passed its health checks:
// it makes sure the server runs, then records the run.
func (rn *run) rollForward(ctx context.Context) (*Result, error) {
	ctx = context.WithoutCancel(ctx)
	err := rn.do(ctx, "start the ERP server if it stopped since it passed its health checks", func(ctx context.Context, out io.Writer) error {
		if rn.r.healthy(ctx) == nil {
			fmt.Fprintln(out, "the server runs and is healthy")
			return nil
		}
		if err := rn.r.Writer.Start(ctx); err != nil {
			return err
		}
		return rn.r.waitHealthy(ctx, out)
	})
	if err != nil {
		rn.warn("the new versions are in place, but the server is not healthy now: %v; check the ERP's log and start it", err)
	}
	last := rn.steps[len(rn.steps)-1]
	if err := rn.do(ctx, last.name, func(ctx context.Context, out io.Writer) error { return rn.record(ctx, out) }); err != nil {
		return rn.result(store.RunEnd{State: store.RunRunning}), err
	}
	return rn.finish(ctx)
}

// sweep removes the folders of finished runs that a crash after their end
// left behind (restore-failed runs keep theirs).
func (r *Runner) sweep(ctx context.Context) {
	ids := map[int64]bool{}
	runs := filepath.Join(r.StateDir, "runs")
	if entries, err := os.ReadDir(runs); err == nil {
		for _, e := range entries {
			if id, err := strconv.ParseInt(e.Name(), 10, 64); err == nil {
				ids[id] = true
			}
		}
	}
	staging, _ := r.Writer.StagingDir()
	if staging != "" {
		if entries, err := os.ReadDir(staging); err == nil {
			for _, e := range entries {
				if id, err := strconv.ParseInt(strings.TrimPrefix(e.Name(), "upkeep-run-"), 10, 64); err == nil && strings.HasPrefix(e.Name(), "upkeep-run-") {
					ids[id] = true
				}
			}
		}
	}
	for id := range ids {
		p, err := r.Store.Run(ctx, id)
		if err != nil || p.Pending() {
			continue
		}
		rn, err := r.newRun(id, &scan.Plan{})
		if err != nil || rn.load(p) != nil {
			continue
		}
		rn.cleanup(ctx)
	}
}
