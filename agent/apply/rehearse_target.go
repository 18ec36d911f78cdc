package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// The names of a rehearsal's own steps; the first one says where it ran,
// so that a restarted agent knows what to clean up.
const (
	stepCopy       = "rehearse: copy the database and the module folders"
	stepOnInstance = "rehearse: neutralize the test instance (no scheduled jobs, no outgoing mail)"
)

// setupSteps prepare the copy or the test instance: the copy is made, it
// is neutralized before its server ever starts, it must hold production's
// modules, and its server must be healthy before preflight.
func (h *rehearsal) setupSteps() []restoreStep {
	where := "the " + h.on()
	steps := []restoreStep{{stepCopy, h.makeCopy}, {"rehearse: neutralize the copy (no scheduled jobs, no outgoing mail)", h.neutralize}}
	if h.copyDir == "" {
		steps = []restoreStep{{stepOnInstance, h.neutralize}}
	}
	steps = append(steps,
		restoreStep{"rehearse: check that " + where + " holds production's modules", h.sameModules},
		restoreStep{"rehearse: start " + where + "'s server", h.start})
	h.setup = len(steps)
	return steps
}

// makeCopy has the Cloner copy the ERP into the run's copy folder.
func (h *rehearsal) makeCopy(ctx context.Context, out io.Writer) error {
	if err := os.MkdirAll(h.copyDir, 0o750); err != nil {
		return fmt.Errorf("create the copy's folder: %w", err)
	}
	clone, cleanup, err := h.t.Cloner.Clone(ctx, h.copyDir)
	if err != nil {
		return err
	}
	h.cleanup = cleanup
	fmt.Fprintf(out, "copy of the %s ERP in %s\n", clone.Kind(), h.copyDir)
	return h.rn.useWriter(clone)
}

// neutralize turns off the scheduled jobs and the outgoing mail.
func (h *rehearsal) neutralize(ctx context.Context, out io.Writer) error {
	w := h.rn.r.Writer
	if h.copyDir == "" {
		if err := h.rn.useWriter(w); err != nil {
			return err
		}
	}
	n, ok := w.(erp.Neutralizer)
	if !ok {
		return fmt.Errorf("the %s adapter cannot neutralize the %s (it has no way to do so), so its scheduled jobs and mail would run: rehearse on a test instance that is harmless by its own setup", w.Kind(), h.on())
	}
	if err := n.Neutralize(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "scheduled jobs and outgoing mail servers deactivated")
	return nil
}

// sameModules checks that the copy or test instance has production's
// installed modules at production's versions: the plan was made from them.
func (h *rehearsal) sameModules(ctx context.Context, out io.Writer) error {
	prod, err := h.prod.Writer.Installed(ctx)
	if err != nil {
		return fmt.Errorf("read production's installed modules: %w", err)
	}
	here, err := h.rn.r.Writer.Installed(ctx)
	if err != nil {
		return fmt.Errorf("read the %s's installed modules: %w", h.on(), err)
	}
	if diff := moduleDiff(prod, here); diff != "" {
		fix := "the copy is damaged: check the disk and rehearse again"
		if h.copyDir == "" {
			fix = "refresh the test instance from production (its database and module folders), then rehearse again"
		}
		return fmt.Errorf("the %s does not hold production's modules (%s): %s", h.on(), diff, fix)
	}
	fmt.Fprintf(out, "%d modules, as in production\n", len(here))
	return nil
}

// moduleDiff lists the modules whose installed version differs.
func moduleDiff(prod, here []erp.Module) string {
	want := map[string]string{}
	for _, m := range prod {
		want[m.Name] = m.Version.String()
	}
	var diffs []string
	for _, m := range here {
		if v, ok := want[m.Name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s %s is not installed in production", m.Name, m.Version))
		} else if v != m.Version.String() {
			diffs = append(diffs, fmt.Sprintf("%s is %s, production has %s", m.Name, m.Version, v))
		}
		delete(want, m.Name)
	}
	for name, v := range want {
		diffs = append(diffs, fmt.Sprintf("production's %s %s is missing", name, v))
	}
	return strings.Join(diffs, "; ")
}

// start starts the server (a no-op when it runs) and waits until healthy.
func (h *rehearsal) start(ctx context.Context, out io.Writer) error {
	if err := h.rn.r.Writer.Start(ctx); err != nil {
		return err
	}
	return h.rn.r.waitHealthy(ctx, out)
}

// finishTarget removes the copy, or puts the test instance back as it
// was; a failure here is a warning: production is not concerned.
func (h *rehearsal) finishTarget(ctx context.Context) {
	rn := h.rn
	if h.copyDir != "" {
		if err := rn.do(ctx, "rehearse: stop the copy's server and remove the copy", h.removeCopy); err != nil {
			rn.warn("the copy was not fully removed: %v; stop its server and remove %s by hand", err, h.copyDir)
		}
		return
	}
	if rn.r.Writer == nil {
		return // the test instance is no longer configured: its backup is kept (see the warning)
	}
	if rn.reached[kindStop] {
		for _, s := range rn.restoreSteps() {
			if err := rn.do(ctx, "rehearse: put the test instance back: "+strings.TrimPrefix(s.name, "restore: "), s.work); err != nil {
				rn.warn("the test instance could not be put back as it was (%v): refresh it from production before the next rehearsal; its backup is kept in %s", err, rn.dir)
				return
			}
		}
	}
	rn.cleanup(ctx)
}

// removeCopy stops the copy's server, frees its database and its backup,
// and removes its folder with the run's.
func (h *rehearsal) removeCopy(ctx context.Context, out io.Writer) error {
	var errs []error
	switch {
	case h.cleanup != nil:
		errs = append(errs, h.cleanup(ctx))
	case h.t.Cloner != nil:
		errs = append(errs, h.t.Cloner.Discard(ctx, h.copyDir))
	case exists(h.copyDir):
		errs = append(errs, fmt.Errorf("the configuration no longer says how the copy was made, so its server and database (if any) were left: look for a process serving from %s and a database named after the ERP's with _upkeep_rehearsal_", h.copyDir))
	}
	if b := h.rn.backup; b != nil {
		w := h.rn.r.Writer
		if w == nil {
			w = h.prod.Writer // the copy's backup lives on production's cluster, under its own name
		}
		errs = append(errs, w.DropBackup(ctx, *b))
	}
	errs = append(errs, os.RemoveAll(h.rn.dir))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintf(out, "removed %s\n", h.copyDir)
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// recoverRehearsal finishes a pending rehearsal, if any (see RecoverRehearsal).
func (r *Runner) recoverRehearsal(ctx context.Context, t Target) (*RehearsalResult, error) {
	p, err := r.Store.PendingRun(ctx)
	if err != nil || p == nil || p.Kind != store.KindRehearse {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	onCopy := len(p.Steps) == 0 || p.Steps[0].Name == stepCopy
	var plan scan.Plan
	if err := json.Unmarshal([]byte(p.Plan), &plan); err != nil && !onCopy {
		return nil, fmt.Errorf("run %d: its journaled plan is unreadable (%w): the state database is damaged; refresh the test instance from production by hand", p.ID, err)
	}
	h := r.newRehearsal(p.ID, &plan, t, onCopy)
	if err := h.rn.load(p); err != nil {
		return nil, err
	}
	if !onCopy && t.Instance == nil {
		h.rn.warn("run %d rehearsed on a test instance the configuration no longer names: it was not put back as it was; refresh it from production (its backup is kept in %s)", p.ID, h.rn.dir)
	} else if !onCopy {
		if err := h.rn.useWriter(t.Instance); err != nil {
			return nil, err
		}
	}
	h.finishTarget(ctx)
	failed := "before the first step"
	if len(p.Steps) > 0 {
		failed = p.Steps[len(p.Steps)-1].Name
	}
	res, err := h.end(ctx, failed, fmt.Errorf("the agent stopped during step %q (a crash, a kill or a power cut); the rehearsal was abandoned", failed))
	h.rn.emit(Event{Phase: PhaseRecovered, Line: fmt.Sprintf("rehearsal %d, left unfinished, was cleaned up: production was not touched", p.ID)})
	if errors.Is(err, ErrRehearsalFailed) {
		err = nil // the abandoned rehearsal's failure is in res, not an error of the recovery
	}
	return res, err
}
