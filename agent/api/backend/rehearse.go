package backend

import (
	"context"
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// eventRehearsalPassed is the event of a rehearsal that passed.
const eventRehearsalPassed = "rehearsal-passed"

// Rehearse plans again with the caller's choices, refuses a plan that is
// not the one the caller reviewed, and starts rehearsing it in the agent's
// process, on a throwaway copy of the ERP or the test instance; it returns
// the run at once. Production is not touched.
func (b *Backend) Rehearse(ctx context.Context, req api.RunRequest, by api.Caller) (*api.Run, error) {
	plan, sr, err := b.reviewed(ctx, req, "rehearse", "there is nothing to rehearse")
	if err != nil {
		return nil, err
	}
	t, err := b.startRehearsal(ctx, startRequest{plan: plan, req: sr, by: by.Who(), record: true}, nil)
	if err != nil {
		return nil, err
	}
	return b.Run(ctx, idString(t.ID(&b.runs)))
}

// RehearsePlan rehearses plan (made with req's choices) as a run this
// backend drives and shows, and waits for its end; the schedule's
// Rehearser calls it. The result says whether the rehearsal passed; the
// error matches apply.ErrRehearsalFailed when it ran and failed.
func (b *Backend) RehearsePlan(ctx context.Context, plan *scan.Plan, req scanner.Request, by string) (*apply.RehearsalResult, error) {
	var res *apply.RehearsalResult
	t, err := b.startRehearsal(ctx, startRequest{plan: plan, req: req, by: by}, &res)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("rehearsal %d goes on while the agent stops; its copy is removed at the next start: %w", t.ID(&b.runs), ctx.Err())
	}
	return res, t.err
}

// startRehearsal journals and starts the rehearsal of s.plan in the
// agent's process and returns once the run has its id; *out, when out is
// set, receives the result before t.done closes.
func (b *Backend) startRehearsal(ctx context.Context, s startRequest, out **apply.RehearsalResult) (*tracked, error) {
	r, target, err := b.rehearsalTarget()
	if err != nil {
		return nil, err
	}
	record := s.record
	s.record = false // recordRehearsal records it, not recordOutcome
	return b.start(ctx, store.KindRehearse, s, r, func(ctx context.Context, t *tracked) (*apply.Result, error) {
		res, err := r.Rehearse(ctx, t.plan, target)
		if record {
			b.recordRehearsal(context.WithoutCancel(ctx), t, res, err)
		}
		if out != nil {
			*out = res
		}
		if res == nil {
			return nil, err
		}
		return &res.Result, err
	})
}

// rehearsalTarget is the production runner and where rehearsals run: the
// test instance, else throwaway copies of production. With a runner, an
// error says why the target cannot be used.
func (b *Backend) rehearsalTarget() (*apply.Runner, apply.Target, error) {
	h, err := b.host("rehearse through the service")
	if err != nil {
		return nil, apply.Target{}, err
	}
	r, err := b.runner(h)
	if err != nil {
		return nil, apply.Target{}, b.cannotChange(err)
	}
	t, err := h.Target(r.Writer)
	if err != nil {
		return r, apply.Target{}, &api.NotAvailableError{Feature: "rehearsal", Message: err.Error()}
	}
	return r, t, nil
}

// RecoverRehearsal cleans up a rehearsal the agent left unfinished (its
// copy is removed, or the test instance put back); call it at start before
// Recover, which finishes applies only. Production is not touched. It
// returns nil when no rehearsal was pending.
func (b *Backend) RecoverRehearsal(ctx context.Context) (*apply.RehearsalResult, error) {
	p, err := b.o.Store.PendingRun(ctx)
	if err != nil || p == nil || p.Kind != store.KindRehearse || b.o.Open == nil {
		return nil, err
	}
	r, target, err := b.rehearsalTarget()
	if r == nil {
		return nil, err
	}
	if err != nil {
		target = apply.Target{} // the copy's files are removed all the same
	}
	r.Progress = b.o.ShowRecovery
	res, err := r.RecoverRehearsal(ctx, target)
	if res != nil {
		b.recordRehearsal(ctx, &tracked{by: "recovery at start", plan: journaledPlan(p)}, res, nil)
	}
	return res, err
}

// recordRehearsal records how a rehearsal ended as an event.
func (b *Backend) recordRehearsal(ctx context.Context, t *tracked, res *apply.RehearsalResult, err error) {
	var e store.Event
	switch {
	case res == nil:
		e = store.Event{Kind: store.EventProblem, Level: store.LevelError, Notify: true, Title: fmt.Sprintf("Could not rehearse (%s): %v", t.by, err)}
	case res.Passed:
		e = store.Event{Kind: eventRehearsalPassed, Level: store.LevelInfo,
			Title: fmt.Sprintf("Rehearsal %d passed on the %s (%s): %s", res.Run, res.On, t.by, describe(t.plan))}
	default:
		e = store.Event{Kind: store.EventRehearsalFailed, Level: store.LevelWarning, Notify: true,
			Title: fmt.Sprintf("Rehearsal %d failed at %q on the %s (%s); production was not touched", res.Run, res.FailedStep, res.On, t.by),
			Body:  "Error: " + res.Error + "\n"}
	}
	if t.plan != nil {
		e.PlanHash = t.plan.Hash
		e.Body += schedule.PlanBody(t.plan)
	}
	if _, _, aerr := b.ev.Add(ctx, e); aerr != nil {
		b.o.Log.Error("record a rehearsal's outcome", "title", e.Title, "err", aerr)
	}
}
