package backend

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// eventCancelled is the event of a run cancelled through the API; its
// news key "cancelled:<run>" also marks the run as cancelled.
const eventCancelled = "cancelled"

// Events is the event history after q.Since, oldest first.
func (b *Backend) Events(ctx context.Context, q api.EventQuery) ([]api.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	evs, err := b.ev.Since(ctx, q.Since, limit)
	if err != nil {
		return nil, err
	}
	out := make([]api.Event, len(evs))
	for i, e := range evs {
		out[i] = toEvent(e)
	}
	return out, nil
}

// followPage is how many events FollowEvents reads at once while catching up.
const followPage = 500

// FollowEvents sends the events after since, then each new one, until ctx
// ends. A follower too slow for the live fan-out catches up from the store.
func (b *Backend) FollowEvents(ctx context.Context, since int64, send func(api.Event) error) error {
	last := since
	for {
		ch, stop := b.ev.Subscribe(64)
		err := b.sendSince(ctx, &last, send)
		for err == nil {
			select {
			case <-ctx.Done():
				err = ctx.Err()
			case e, ok := <-ch:
				if !ok {
					err = errDropped
				} else if e.ID > last {
					last = e.ID
					err = send(toEvent(e))
				}
			}
		}
		stop()
		if err != errDropped {
			return err
		}
	}
}

// errDropped says the live fan-out dropped a slow follower: it catches up.
var errDropped = fmt.Errorf("dropped by the event fan-out")

// sendSince sends the stored events after *last, page by page.
func (b *Backend) sendSince(ctx context.Context, last *int64, send func(api.Event) error) error {
	for {
		evs, err := b.ev.Since(ctx, *last, followPage)
		if err != nil {
			return err
		}
		for _, e := range evs {
			*last = e.ID
			if err := send(toEvent(e)); err != nil {
				return err
			}
		}
		if len(evs) < followPage {
			return nil
		}
	}
}

func toEvent(e store.Event) api.Event {
	out := api.Event{ID: e.ID, At: parseTime(e.At), Kind: e.Kind, Severity: e.Level, Summary: e.Title, PlanHash: e.PlanHash,
		Notify: notifies(e)}
	if id, ok := strings.CutPrefix(e.NewsKey, eventCancelled+":"); ok {
		out.RunID = id
	}
	return out
}

// notifies tells whether a person should get a desktop notification of
// e: the events the agent would send by webhook or e-mail, except the news
// the tray's icon and menu already show (new patches and updates) and
// update checks that work again; and a passed rehearsal, which the admin
// waits for to apply the plan (not worth an e-mail).
func notifies(e store.Event) bool {
	switch e.Kind {
	case store.EventPatches, store.EventUpdates, store.EventReachable:
		return false
	case eventRehearsalPassed:
		return true
	}
	return e.Notify
}

// cancelledAmong tells which of rs were cancelled through the API.
func (b *Backend) cancelledAmong(ctx context.Context, rs []store.Run) (map[int64]bool, error) {
	var keys []string
	for _, r := range rs {
		if r.State == store.RunFailedRestored {
			keys = append(keys, cancelKey(r.ID))
		}
	}
	seen, err := b.ev.Seen(ctx, keys...)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, r := range rs {
		out[r.ID] = seen[cancelKey(r.ID)]
	}
	return out, nil
}

func cancelKey(id int64) string { return eventCancelled + ":" + strconv.FormatInt(id, 10) }

// recordOutcome records how a run ended as an event: for the runs the
// API started and the runs recovered at start (the schedule records its
// own), and for every cancelled run.
func (b *Backend) recordOutcome(ctx context.Context, t *tracked, res *apply.Result, err error, cancelled bool) {
	if res != nil && (res.State == store.RunRestoreFailed || res.State == store.RunRestoring) {
		b.o.Log.Error("an apply needs attention", "run", res.Run, "state", res.State, "error", res.Error)
	}
	var e store.Event
	switch {
	case cancelled && res != nil && res.State == store.RunFailedRestored:
		e = store.Event{Kind: eventCancelled, Level: store.LevelInfo, NewsKey: cancelKey(res.Run),
			Title: fmt.Sprintf("Run %d cancelled before the ERP was touched: %s", res.Run, describe(t.plan))}
	case !t.record:
		return
	case res == nil:
		e = store.Event{Kind: store.EventProblem, Level: store.LevelError, Notify: true,
			Title: fmt.Sprintf("Could not finish a run: %v", err)}
	default:
		e = outcomeEvent(t, res)
	}
	if t.plan != nil {
		e.PlanHash = t.plan.Hash
		e.Body += schedule.PlanBody(t.plan)
	}
	if _, _, aerr := b.ev.Add(ctx, e); aerr != nil {
		b.o.Log.Error("record a run's outcome", "title", e.Title, "err", aerr)
	}
}

// outcomeEvent is the event of a run that ended; its news key (kind:plan
// hash) is the schedule's, so that a plan that failed is never applied
// silently afterwards.
func outcomeEvent(t *tracked, res *apply.Result) store.Event {
	what := fmt.Sprintf("run %d (%s)", res.Run, t.by)
	if res.Recovered {
		what = fmt.Sprintf("run %d, left unfinished when the agent stopped, finished at start", res.Run)
	}
	e := store.Event{Notify: true, Body: fmt.Sprintf("Run %d.\n", res.Run)}
	switch res.State {
	case store.RunSucceeded:
		e.Kind, e.Level, e.Title = store.EventApplied, store.LevelInfo, fmt.Sprintf("Applied %s: %s", describe(t.plan), what)
	case store.RunFailedRestored:
		e.Kind, e.Level = store.EventFailedRestored, store.LevelWarning
		e.Title = fmt.Sprintf("Apply failed at %q, instance restored as it was: %s", res.FailedStep, what)
		if beforeTheERP(res.FailedStep) {
			e.Title = fmt.Sprintf("Apply stopped at %q before touching the ERP, nothing changed: %s", res.FailedStep, what)
		}
		e.Body += "Error: " + res.Error + "\n"
	case store.RunRestoring: // the restore ran, but the journal could not record it
		e.Kind, e.Level = store.EventRestoreFailed, store.LevelError
		e.Title = fmt.Sprintf("Apply failed and the journal could not record the restore (free room, then upkeep apply --recover-only): %s", what)
		e.Body += "State: " + res.Error + "\n"
	default:
		e.Kind, e.Level = store.EventRestoreFailed, store.LevelError
		e.Title = fmt.Sprintf("Apply failed and so did the restore, act now: %s", what)
		e.Body += "Error: " + res.Error + "\n"
	}
	e.NewsKey = e.Kind + ":" + res.PlanHash
	return e
}

// describe names a plan's changes in a few words.
func describe(p *scan.Plan) string {
	if p == nil {
		return "a plan"
	}
	var parts []string
	for _, d := range p.Disable {
		parts = append(parts, "disable "+d.Module)
	}
	for _, c := range p.Changes {
		parts = append(parts, c.Module+" "+c.To.String())
	}
	if len(parts) > 4 {
		parts = append(parts[:4], fmt.Sprintf("%d more", len(parts)-4))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
