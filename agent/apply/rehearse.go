package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Cloner makes throwaway copies of the ERP for rehearsals. The demo
// adapter's Writer is one; the command adapter's Cloner is configured
// with [rehearsal.command].
type Cloner interface {
	// Clone copies the ERP's database and module folders into dir (an
	// empty folder the caller made) without touching production: the live
	// database is only read (the server keeps running; nothing is locked
	// against it or stopped). The copy gets a server on a free loopback
	// port, configured to send no mail where the ERP has such a setting,
	// and not started. The copy's Writer must be an erp.Neutralizer: the
	// rehearsal neutralizes the copy before it first starts its server.
	// cleanup stops that server and frees what the copy holds outside dir
	// (a database); the caller then removes dir.
	Clone(ctx context.Context, dir string) (clone erp.Writer, cleanup func(context.Context) error, err error)
	// Discard does what cleanup does, from dir alone, for a copy whose
	// maker stopped before it could (a crash, a kill). A dir with no copy,
	// or a partial one, is success.
	Discard(ctx context.Context, dir string) error
}

// Target is where rehearsals run: a throwaway copy per rehearsal made by
// Cloner, or the permanent test instance Instance. Give one.
type Target struct {
	Cloner   Cloner
	Instance erp.Writer
	// InstanceHealth are the test instance's configured checks. A copy runs
	// the SQL checks of Runner.Health; their URL checks address
	// production's server, so a copy skips them (with a warning).
	InstanceHealth []config.HealthCheck
}

// Errors of rehearsals a caller branches on.
var (
	// ErrRehearsalFailed says the plan failed on the copy or test instance;
	// production was not touched.
	ErrRehearsalFailed = errors.New("the rehearsal failed")
	// ErrNotRehearsed says the configuration requires a passed rehearsal of
	// the plan before it is applied, and there is none.
	ErrNotRehearsed = errors.New("the plan has not passed a rehearsal")
)

// RehearsalResult is how a rehearsal ended. Its Result's State is
// succeeded (passed) or failed-restored (failed; production untouched),
// and its Downtime is the copy's: an estimate of production's.
type RehearsalResult struct {
	Result
	Passed bool       `json:"passed"`
	On     string     `json:"on"` // OnCopy or OnTestInstance
	Steps  []StepTime `json:"steps"`
}

// Where a rehearsal ran.
const (
	OnCopy         = "copy"
	OnTestInstance = "test instance"
)

// StepTime is one journaled step of a run with its duration.
type StepTime struct {
	N     int           `json:"n"`
	Name  string        `json:"name"`
	State string        `json:"state"`
	Took  time.Duration `json:"took_ns"`
}

// NewTarget returns where rehearsals run: the test instance when one is
// given (with its configured health checks), else throwaway copies of
// production, whose Writer must be a Cloner able to copy now.
func NewTarget(production, testInstance erp.Writer, testHealth []config.HealthCheck) (Target, error) {
	if testInstance != nil {
		return Target{Instance: testInstance, InstanceHealth: testHealth}, nil
	}
	cl, ok := production.(Cloner)
	if !ok {
		return Target{}, fmt.Errorf("the %s adapter cannot make throwaway copies of the ERP yet: rehearse on a permanent test instance ([rehearsal.test_instance] in the configuration)", production.Kind())
	}
	if can, ok := production.(interface{ CanClone() error }); ok {
		if err := can.CanClone(); err != nil {
			return Target{}, err
		}
	}
	return Target{Cloner: cl}, nil
}

func (t Target) check() error {
	if (t.Cloner == nil) == (t.Instance == nil) {
		return errors.New("rehearse: give either a way to copy the ERP or a test instance (Target.Cloner or Target.Instance)")
	}
	return nil
}

// Rehearse applies plan with this runner's procedure to a throwaway copy
// of the ERP, or to the test instance: it copies (or checks the test
// instance), neutralizes, starts, runs every step of the plan, checks the
// health and the settings drift, then removes the copy (or puts the test
// instance back as it was). Every step is journaled and timed in a run of
// kind rehearse with the plan's hash. Production is only read: its
// installed modules, its database for the copy, and a fresh scan. The
// error matches ErrRehearsalFailed, ErrLocked, ErrPlanChanged or ErrRefused
// when those are the reason.
func (r *Runner) Rehearse(ctx context.Context, plan *scan.Plan, t Target) (*RehearsalResult, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if plan == nil || len(plan.Changes)+len(plan.Disable) == 0 {
		return nil, fmt.Errorf("%w: the plan changes nothing: there is nothing to rehearse", ErrRefused)
	}
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := r.recoverRehearsal(ctx, t); err != nil {
		return nil, fmt.Errorf("finish the unfinished rehearsal first: %w", err)
	}
	if p, err := r.Store.PendingRun(ctx); err != nil || p != nil {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: run %d, an apply, is %s; a rehearsal does not finish it, since that changes production: run upkeep apply --recover-only first",
			ErrRefused, p.ID, p.State)
	}
	body, err := json.Marshal(plan)
	if err != nil {
		return nil, fmt.Errorf("encode the plan: %w", err)
	}
	id, err := r.Store.StartRun(ctx, store.KindRehearse, plan.Hash, body)
	if err != nil {
		return nil, err
	}
	h := r.newRehearsal(id, plan, t, t.Cloner != nil)
	failed, cause := h.forward(ctx)
	ctx = context.WithoutCancel(ctx)
	h.finishTarget(ctx)
	return h.end(ctx, failed, cause)
}

// RecoverRehearsal finishes a rehearsal the agent left unfinished (a crash,
// a kill, a power cut): it stops the copy's server and removes the copy,
// or puts the test instance back as it was, and records the run as
// failed; production is not touched. t is how the configuration reaches
// the copy or test instance now; a zero t still removes the copy's files
// (and warns about what else it may have left). It returns nil when no
// rehearsal was pending, and leaves an unfinished apply to Recover.
func (r *Runner) RecoverRehearsal(ctx context.Context, t Target) (*RehearsalResult, error) {
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return r.recoverRehearsal(ctx, t)
}

// PassedRehearsal returns the latest run of kind rehearse that passed
// with the plan hash, among the last 1000 runs, or nil.
func PassedRehearsal(ctx context.Context, st *store.Store, hash string) (*store.Run, error) {
	runs, err := st.Runs(ctx, 1000)
	if err != nil {
		return nil, err
	}
	for i := range runs {
		if runs[i].Kind == store.KindRehearse && runs[i].State == store.RunSucceeded && runs[i].PlanHash == hash {
			return &runs[i], nil
		}
	}
	return nil, nil
}

// RequireRehearsal returns an error matching ErrNotRehearsed unless the
// plan with hash passed a rehearsal; callers use it when the configuration
// requires one (schedule.policy.require_rehearsal).
func RequireRehearsal(ctx context.Context, st *store.Store, hash string) error {
	run, err := PassedRehearsal(ctx, st, hash)
	if err != nil || run != nil {
		return err
	}
	return fmt.Errorf("%w: plan %s has no passed rehearsal and the configuration requires one (schedule.policy.require_rehearsal): "+
		"run upkeep rehearse with the same plan first, then apply it", ErrNotRehearsed, short(hash))
}

// rehearsal is one rehearsal in progress.
type rehearsal struct {
	prod    *Runner // production's runner: its Writer is only read
	rn      *run    // the plan's run; its runner drives the copy or the test instance
	t       Target
	copyDir string // the throwaway copy's folder; "" on the test instance
	cleanup func(context.Context) error
	setup   int      // the rehearsal's own steps before the plan's, for progress
	skipped []string // the URL health checks a copy skips
}

// newRehearsal prepares run id of plan on a copy or the test instance.
func (r *Runner) newRehearsal(id int64, plan *scan.Plan, t Target, onCopy bool) *rehearsal {
	cr := *r
	cr.Writer, cr.Health, cr.ForceUnhealthy = t.Instance, t.InstanceHealth, false
	h := &rehearsal{prod: r, t: t, setup: 4}
	cr.Progress = func(e Event) {
		if e.Steps > 0 {
			e.Steps += h.setup + 1
		}
		r.emit(e)
	}
	where := "the test instance"
	if onCopy {
		where = "the copy"
	}
	rn := &run{r: &cr, id: id, plan: plan, steps: rehearsalSteps(buildSteps(plan), where), started: r.now(), reached: map[string]bool{}, next: 1,
		dir: filepath.Join(r.StateDir, "runs", strconv.FormatInt(id, 10)), rehearsing: where}
	h.rn = rn
	if onCopy {
		h.copyDir = filepath.Join(rn.dir, "copy")
		cr.Writer, cr.Health = nil, nil
		for _, c := range r.Health {
			if c.URL != "" {
				h.skipped = append(h.skipped, checkName(c))
				continue
			}
			cr.Health = append(cr.Health, c)
		}
	}
	return h
}

// on says where the rehearsal runs, for messages.
func (h *rehearsal) on() string {
	if h.copyDir != "" {
		return OnCopy
	}
	return OnTestInstance
}

// useWriter makes w the writer the plan's steps drive.
func (rn *run) useWriter(w erp.Writer) error {
	rn.r.Writer = w
	staging, err := w.StagingDir()
	if err != nil {
		return fmt.Errorf("the %s adapter's staging folder: %w", w.Kind(), err)
	}
	rn.staging = filepath.Join(staging, "upkeep-run-"+strconv.FormatInt(rn.id, 10))
	return nil
}

// forward runs the rehearsal's own steps, then the plan's, and returns
// the failed step's name and its error ("" and nil when all passed).
func (h *rehearsal) forward(ctx context.Context) (string, error) {
	for _, c := range h.skipped {
		h.rn.warn("health check %s is skipped on the copy: its URL addresses production's server (the SQL checks and the adapter's own check run on the copy)", c)
	}
	for _, s := range h.setupSteps() {
		if err := h.rn.do(ctx, s.name, s.work); err != nil {
			return s.name, err
		}
	}
	rn := h.rn
	for i := 0; i < len(rn.steps); i++ { // preflight replaces the steps with the fresh plan's
		st := rn.steps[i]
		if err := rn.do(ctx, st.name, func(ctx context.Context, out io.Writer) error { return rn.exec(ctx, st, out) }); err != nil {
			return st.name, err
		}
	}
	return "", nil
}

// end records how the rehearsal ended (no ledger: nothing was installed
// in production) and builds its result.
func (h *rehearsal) end(ctx context.Context, failed string, cause error) (*RehearsalResult, error) {
	rn := h.rn
	e := store.RunEnd{State: store.RunSucceeded}
	if failed != "" {
		e = store.RunEnd{State: store.RunFailedRestored, FailedStep: failed, Error: cause.Error()}
	}
	if rn.drift != nil {
		e.Drift, _ = json.Marshal(rn.drift)
	}
	ferr := rn.r.Store.FinishRun(ctx, rn.id, e, nil)
	res := &RehearsalResult{Result: *rn.result(e), Passed: failed == "" && ferr == nil, On: h.on(), Steps: h.timings(ctx)}
	switch {
	case ferr != nil:
		return res, fmt.Errorf("the journal could not record the rehearsal's end: %w; the next rehearsal or apply finishes it", ferr)
	case failed != "":
		return res, fmt.Errorf("%w on the %s: step %q: %w; production was not touched", ErrRehearsalFailed, h.on(), failed, cause)
	}
	return res, nil
}

// timings reads the run's steps and their durations from the journal.
func (h *rehearsal) timings(ctx context.Context) []StepTime {
	run, err := h.rn.r.Store.Run(ctx, h.rn.id)
	if err != nil {
		h.rn.warn("no step timings: %v", err)
		return nil
	}
	out := make([]StepTime, 0, len(run.Steps))
	for _, s := range run.Steps {
		out = append(out, StepTime{N: s.N, Name: s.Name, State: s.State, Took: s.Duration()})
	}
	return out
}
