package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/host"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// tracked is a run this process drives: its identity, whether it may
// still be cancelled, and its live progress for the followers.
type tracked struct {
	kind, by string
	plan     *scan.Plan
	record   bool // record the outcome as an event (the schedule records its own)
	cancel   context.CancelFunc
	started  chan struct{} // closed once the run is journaled (id known)
	done     chan struct{} // closed once the run ended

	// guarded by runs.mu
	id        int64
	step      string // the step in progress
	committed bool   // a step past the point of no return started: no cancel
	ended     bool   // the work returned: no cancel
	cancelled bool
	res       *apply.Result
	err       error
	live      progress
}

// runs is the one run this process drives at a time, and who started the
// recent ones.
type runs struct {
	mu     sync.Mutex
	active *tracked
	recent map[int64]*tracked // finished runs, for By and cancelled (bounded)
}

// keepRecent bounds runs.recent.
const keepRecent = 64

// claim makes t the active run; it returns the active run instead when
// there is one.
func (rs *runs) claim(t *tracked) *tracked {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.active != nil {
		return rs.active
	}
	rs.active = t
	return nil
}

// release ends t's tracking with its result, keeping it among the recent.
func (rs *runs) release(t *tracked, res *apply.Result, err error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	t.res, t.err = res, err
	t.live.close()
	if rs.active == t {
		rs.active = nil
	}
	if t.id != 0 {
		if len(rs.recent) >= keepRecent {
			clear(rs.recent)
		}
		rs.recent[t.id] = t
	}
}

// lookup returns the tracked run id, active or recent.
func (rs *runs) lookup(id int64) *tracked {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.active != nil && rs.active.id == id {
		return rs.active
	}
	return rs.recent[id]
}

// startRequest is a run to start.
type startRequest struct {
	plan   *scan.Plan
	req    scanner.Request // the choices that made the plan: preflight plans again with them
	by     string
	record bool
	// rescan plans again for the preflight; nil: with req's choices.
	rescan func(context.Context) (*scan.Plan, error)
}

// startApply journals and starts applying s.plan in the agent's process
// and returns once the run has its id.
func (b *Backend) startApply(ctx context.Context, s startRequest) (*tracked, error) {
	h, err := b.host("apply through the service")
	if err != nil {
		return nil, err
	}
	r, err := b.runner(h)
	if err != nil {
		return nil, b.cannotChange(err)
	}
	return b.start(ctx, store.KindApply, s, r, func(ctx context.Context, t *tracked) (*apply.Result, error) {
		return r.Apply(ctx, t.plan)
	})
}

// start journals and starts a run of kind that does work with r in the
// agent's process, and returns once the run has its id. The run goes on
// when ctx ends: it is cancelled only through Cancel.
func (b *Backend) start(ctx context.Context, kind string, s startRequest, r *apply.Runner, work func(context.Context, *tracked) (*apply.Result, error)) (*tracked, error) {
	t := &tracked{kind: kind, by: s.by, plan: s.plan, record: s.record,
		started: make(chan struct{}), done: make(chan struct{})}
	if other := b.runs.claim(t); other != nil {
		return nil, busy(other)
	}
	before, err := b.blockers(ctx)
	if err != nil {
		b.runs.release(t, nil, err)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(store.WithRunBy(context.WithoutCancel(ctx), s.by))
	t.cancel = cancel
	r.Progress = func(e apply.Event) { b.progress(t, e, before) }
	r.Rescan = s.rescan
	if r.Rescan == nil {
		r.Rescan = func(ctx context.Context) (*scan.Plan, error) { return b.plan(ctx, s.req.Implied(s.plan)) }
	}
	go b.drive(runCtx, t, func(ctx context.Context) (*apply.Result, error) { return work(ctx, t) })
	select {
	case <-t.started:
	case <-t.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if id := t.ID(&b.runs); id != 0 {
		b.recordStart(ctx, t, id)
		return t, nil
	}
	<-t.done
	return nil, refusal(t.err)
}

// recordStart records that run id started, so that followers of the
// event stream (the tray) show it at once; it is never sent.
func (b *Backend) recordStart(ctx context.Context, t *tracked, id int64) {
	e := store.Event{Kind: store.EventRunStarted, Level: store.LevelInfo,
		Title:   fmt.Sprintf("%s started: run %d (%s)", kindTitle(t.kind), id, t.by),
		Body:    fmt.Sprintf("Run %d: %s.\n", id, describe(t.plan)),
		NewsKey: fmt.Sprintf("%s:%d", store.EventRunStarted, id)}
	if t.plan != nil {
		e.PlanHash = t.plan.Hash
	}
	if _, _, err := b.ev.Add(context.WithoutCancel(ctx), e); err != nil {
		b.o.Log.Error("record a run's start", "run", id, "err", err)
	}
}

// kindTitle is a run kind as an event's title starts it.
func kindTitle(kind string) string {
	if kind == store.KindRehearse {
		return "Rehearsal"
	}
	return "Apply"
}

// ID is the run's journal id, 0 until it is journaled.
func (t *tracked) ID(rs *runs) int64 {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return t.id
}

// blockers refuses a run while another one is pending in the journal (an
// apply from the command line, or a failed restore), and returns the
// highest run id so far.
func (b *Backend) blockers(ctx context.Context) (int64, error) {
	p, err := b.o.Store.PendingRun(ctx)
	if err != nil {
		return 0, err
	}
	if p != nil {
		msg := fmt.Sprintf("run %d is %s (started %s): another upkeep process drives it, or it was left unfinished; "+
			"wait for it to end, or finish it with upkeep apply --recover-only", p.ID, p.State, p.StartedAt)
		if p.State == store.RunRestoreFailed {
			msg = fmt.Sprintf("run %d failed and so did its restore: %s", p.ID, p.RestoreError)
		}
		return 0, &api.ConflictError{Message: msg, RunID: strconv.FormatInt(p.ID, 10)}
	}
	last, err := b.o.Store.Runs(ctx, 1)
	if err != nil || len(last) == 0 {
		return 0, err
	}
	return last[0].ID, nil
}

// host assembles the agent's parts for the configuration in use, or says
// that feature is not available through this backend.
func (b *Backend) host(feature string) (*host.Host, error) {
	if b.o.Open == nil {
		return nil, &api.NotAvailableError{Feature: feature}
	}
	h, err := b.o.Open(b.config())
	if err != nil {
		return nil, b.cannotChange(err)
	}
	return h, nil
}

// runner is h's apply runner over the agent's state; its error is the
// one opening the ERP's write side failed with.
func (b *Backend) runner(h *host.Host) (*apply.Runner, error) {
	r, err := h.Runner(b.o.Store)
	if err != nil {
		return nil, err
	}
	r.ForceUnhealthy = b.o.ForceUnhealthy
	return r, nil
}

// cannotChange is the error of an ERP whose write side cannot be opened
// as configured: the configuration cannot be used (the command line's
// exit 2).
func (b *Backend) cannotChange(err error) error {
	return &api.ScanError{Code: api.CodeConfig, Message: fmt.Sprintf("this agent cannot change the ERP as configured: %v: check [erp] and [erp.server] in %s", err, b.config().Path())}
}

// drive runs work (an apply or a recovery) for t, records its outcome and
// ends the tracking.
func (b *Backend) drive(ctx context.Context, t *tracked, work func(context.Context) (*apply.Result, error)) {
	defer t.cancel()
	res, err := work(ctx)
	b.runs.mu.Lock()
	t.ended = true
	id, cancelled := t.id, t.cancelled
	b.runs.mu.Unlock()
	if id != 0 {
		b.recordOutcome(context.WithoutCancel(ctx), t, res, err, cancelled)
	}
	b.afterRun(ctx, t, res, cancelled)
	b.runs.release(t, res, err)
	close(t.done)
	b.o.Log.Info("run ended", "run", id, "by", t.by, "state", stateOf(res), "err", err)
}

func stateOf(res *apply.Result) string {
	if res == nil {
		return ""
	}
	return res.State
}

// busy is the conflict with the run this process drives.
func busy(t *tracked) error {
	return &api.ConflictError{Message: fmt.Sprintf("another apply is running (started by %s): wait for it to end, or follow it with upkeep status", t.by),
		RunID: idString(t.id)}
}

// refusal turns the error of a run that was never journaled into the API's.
func refusal(err error) error {
	var ce *api.ConflictError
	switch {
	case err == nil:
		return errors.New("the apply ended before it started, without an error: try again")
	case errors.As(err, &ce):
		return err
	case errors.Is(err, apply.ErrLocked), errors.Is(err, store.ErrRunPending):
		return &api.ConflictError{Message: err.Error()}
	case errors.Is(err, apply.ErrRefused):
		return &api.BadRequestError{Message: err.Error()}
	}
	return err
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// Apply plans again with the caller's choices, refuses when the plan is not
// the one the caller reviewed, and starts applying it in the agent's
// process; it returns the run at once.
func (b *Backend) Apply(ctx context.Context, req api.RunRequest, by api.Caller) (*api.Run, error) {
	plan, sr, err := b.reviewed(ctx, req, "apply", "the instance is up to date")
	if err != nil {
		return nil, err
	}
	if err := b.rehearsedFirst(ctx, plan.Hash); err != nil {
		return nil, err
	}
	t, err := b.startApply(ctx, startRequest{plan: plan, req: sr, by: by.Who(), record: true})
	if err != nil {
		return nil, err
	}
	return b.Run(ctx, idString(t.ID(&b.runs)))
}

// reviewed plans again with req's choices and refuses while a run is
// going, when the plan is not the one the caller reviewed, and when it
// changes nothing; verb is what the caller does with the plan, and
// nothing why an empty plan is refused.
func (b *Backend) reviewed(ctx context.Context, req api.RunRequest, verb, nothing string) (*scan.Plan, scanner.Request, error) {
	if t := b.runs.current(); t != nil {
		return nil, scanner.Request{}, busy(t)
	}
	sr := planRequest(req.Plan)
	plan, err := b.plan(ctx, sr)
	if err != nil {
		return nil, scanner.Request{}, scanFailure(err)
	}
	if plan.Hash != req.PlanHash {
		return nil, scanner.Request{}, &api.ConflictError{Code: api.CodePlanChanged,
			Message: fmt.Sprintf("the plan changed since you reviewed it (you saw %s, a scan now gives %s): it no longer matches the current metadata and installed modules; review the new plan (GET /v1/plan, upkeep plan) and %s its hash",
				short(req.PlanHash), short(plan.Hash), verb)}
	}
	if len(plan.Changes)+len(plan.Disable) == 0 {
		return nil, scanner.Request{}, &api.BadRequestError{Message: "the plan changes nothing: " + nothing}
	}
	return plan, sr, nil
}

func (rs *runs) current() *tracked {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.active
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Runs lists the latest runs, newest first.
func (b *Backend) Runs(ctx context.Context, limit int) ([]api.Run, error) {
	rs, err := b.o.Store.Runs(ctx, limit)
	if err != nil {
		return nil, err
	}
	cancelled, err := b.cancelledAmong(ctx, rs)
	if err != nil {
		return nil, err
	}
	out := make([]api.Run, len(rs))
	for i := range rs {
		out[i] = b.toRun(&rs[i], cancelled[rs[i].ID])
	}
	return out, nil
}

// Run is one run with the step it is at or ended on.
func (b *Backend) Run(ctx context.Context, id string) (*api.Run, error) {
	n, err := runID(id)
	if err != nil {
		return nil, err
	}
	r, err := b.o.Store.Run(ctx, n)
	if errors.Is(err, store.ErrNoRun) {
		return nil, &api.NotFoundError{Message: fmt.Sprintf("there is no run %s: list the runs with GET /v1/runs (upkeep history)", id)}
	}
	if err != nil {
		return nil, err
	}
	cancelled, err := b.cancelledAmong(ctx, []store.Run{*r})
	if err != nil {
		return nil, err
	}
	out := b.toRun(r, cancelled[n])
	if r.Drift != "" {
		if err := json.Unmarshal([]byte(r.Drift), &out.Drift); err != nil {
			return nil, fmt.Errorf("run %d: decode its settings drift report: %w", n, err)
		}
	}
	return &out, nil
}

func runID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, &api.NotFoundError{Message: fmt.Sprintf("there is no run %q: runs are numbered 1, 2, … (GET /v1/runs lists them)", id)}
	}
	return n, nil
}

// current is the run in progress in this process, or the journal's pending
// run (another process's, or one whose restore failed).
func (b *Backend) current(ctx context.Context) (*api.Run, error) {
	if t := b.runs.current(); t != nil && !t.over(&b.runs) {
		if id := t.ID(&b.runs); id != 0 {
			return b.Run(ctx, idString(id))
		}
	}
	p, err := b.o.Store.PendingRun(ctx)
	if err != nil || p == nil {
		return nil, err
	}
	r := b.toRun(p, false)
	return &r, nil
}

// toRun is a journaled run as the API shows it.
func (b *Backend) toRun(r *store.Run, cancelled bool) api.Run {
	out := api.Run{ID: idString(r.ID), Kind: r.Kind, PlanHash: r.PlanHash, State: r.State, Step: r.FailedStep,
		By: r.By, Started: parseTime(r.StartedAt), Error: r.Error}
	if r.EndedAt != "" {
		t := parseTime(r.EndedAt)
		out.Ended = &t
	}
	if r.RestoreError != "" {
		out.Error = strings.TrimPrefix(out.Error+"; "+r.RestoreError, "; ")
	}
	if len(r.Steps) > 0 && out.Step == "" && r.Pending() {
		out.Step = r.Steps[len(r.Steps)-1].Name
	}
	if t := b.runs.lookup(r.ID); t != nil {
		b.runs.mu.Lock()
		out.By, cancelled = t.by, cancelled || t.cancelled
		if r.Pending() && t.step != "" {
			out.Step = t.step
		}
		b.runs.mu.Unlock()
	}
	out.State = apiState(r, cancelled)
	if out.State == api.RunRunning && b.runs.lookup(r.ID) == nil && apply.Abandoned(b.config().State.Dir) {
		out.State = api.RunNeedsRecovery
	}
	return out
}

func apiState(r *store.Run, cancelled bool) string {
	switch r.State {
	case store.RunFailedRestored:
		switch {
		case cancelled:
			return api.RunCancelled
		case beforeTheERP(r.FailedStep):
			return api.RunFailed
		}
		return api.RunRestored
	case store.RunRunning:
		return api.RunRunning
	case store.RunRestoring:
		return api.RunRestoring
	case store.RunSucceeded:
		return api.RunSucceeded
	case store.RunRestoreFailed:
		return api.RunRestoreFailed
	}
	return r.State
}

// beforeTheERP tells whether a step runs before the ERP is touched
// (preflight and download); a run may be cancelled during them.
func beforeTheERP(step string) bool {
	return store.BeforeTheERP(step)
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Cancel stops a run that has not passed its point of no return (the stop
// of the ERP's server): it ends as cancelled, nothing changed. Later the
// run finishes or restores itself, and cancelling is refused.
func (b *Backend) Cancel(ctx context.Context, id string, by api.Caller) (*api.Run, error) {
	n, err := runID(id)
	if err != nil {
		return nil, err
	}
	if _, err := b.Run(ctx, id); err != nil {
		return nil, err
	}
	b.runs.mu.Lock()
	t := b.runs.active
	switch {
	case t == nil || t.id != n || t.ended:
		b.runs.mu.Unlock()
		return nil, b.notCancellable(ctx, id)
	case t.committed:
		step := t.step
		b.runs.mu.Unlock()
		return nil, &api.ConflictError{RunID: id, Message: fmt.Sprintf("run %s is past its point of no return (step %q has started: the ERP's server was stopped and is being changed); "+
			"stopping now would leave it half updated, so the run goes on: it ends updated and healthy, or restores itself exactly as before", id, step)}
	}
	t.cancelled = true
	t.cancel()
	b.runs.mu.Unlock()
	b.o.Log.Info("run cancelled", "run", n, "by", by.Who())
	select {
	case <-t.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.Run(ctx, id)
}

// notCancellable says why a run this process does not drive cannot be
// cancelled.
func (b *Backend) notCancellable(ctx context.Context, id string) error {
	r, err := b.Run(ctx, id)
	if err != nil {
		return err
	}
	switch r.State {
	case api.RunRunning, api.RunRestoring:
		return &api.ConflictError{RunID: r.ID, Message: fmt.Sprintf("run %s is driven by another upkeep process (upkeep apply): stop it there with Ctrl-C before the ERP is stopped", r.ID)}
	}
	return &api.ConflictError{RunID: r.ID, Message: fmt.Sprintf("run %s has ended (%s): there is nothing to cancel", r.ID, r.State)}
}

// Wait waits until the run this process drives has ended, or ctx ends; it
// reports whether none runs any more.
func (b *Backend) Wait(ctx context.Context) bool {
	t := b.runs.current()
	if t == nil {
		return true
	}
	select {
	case <-t.done:
		return true
	case <-ctx.Done():
		return false
	}
}
