package backend

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// A run's events are numbered from the journal's step numbers, so that the
// live events of a run and those replayed from its journal (after a
// restart, or for a follower that came late) carry the same numbers: step
// n starts at n·seqStep, its output lines follow, and it ends at
// n·seqStep + seqEnd. Warnings take the next free number.
const (
	seqStep = 1 << 20
	seqEnd  = seqStep / 2
)

// keepLive bounds the live events kept per run for late followers (the
// journal has the rest).
const keepLive = 4096

// progress is a run's live events and their followers; runs.mu guards it.
type progress struct {
	events []api.RunEvent
	subs   map[chan api.RunEvent]struct{}
	last   int64 // the last number given
	lines  int64 // output lines of the step in progress
	closed bool
}

// add numbers e, keeps it and passes it to the followers; a follower too
// far behind is dropped (its channel closed) and catches up from the
// journal and the kept events.
func (p *progress) add(e api.RunEvent) {
	e.Seq = max(e.Seq, p.last+1)
	p.last = e.Seq
	if len(p.events) == keepLive {
		p.events = append(p.events[:0], p.events[keepLive/2:]...)
	}
	p.events = append(p.events, e)
	for ch := range p.subs {
		select {
		case ch <- e:
		default:
			delete(p.subs, ch)
			close(ch)
		}
	}
}

func (p *progress) close() {
	p.closed = true
	for ch := range p.subs {
		close(ch)
	}
	p.subs = nil
}

// progress turns one of the runner's events into the run's live event. The
// first event of a run newer than before gives t its id; a step past
// download closes the way to cancelling.
func (b *Backend) progress(t *tracked, e apply.Event, before int64) {
	b.runs.mu.Lock()
	defer b.runs.mu.Unlock()
	if t.id == 0 && e.Run > before {
		t.id = e.Run
		close(t.started)
	}
	if e.Run != t.id {
		return
	}
	ev := api.RunEvent{At: time.Now(), Step: e.Name, Message: e.Line}
	p := &t.live
	switch e.Phase {
	case apply.PhaseStart:
		t.step, p.lines = e.Name, 0
		t.committed = t.committed || !beforeTheERP(e.Name)
		ev.Seq, ev.Status = int64(e.Step)*seqStep, "started"
	case apply.PhaseOutput:
		p.lines++
		ev.Seq, ev.Status = int64(e.Step)*seqStep+min(p.lines, seqEnd-1), "log"
	case apply.PhaseDone, apply.PhaseFailed:
		ev.Seq, ev.Status, ev.Elapsed = int64(e.Step)*seqStep+seqEnd, "done", e.Took.Seconds()
		if e.Phase == apply.PhaseFailed {
			ev.Status = "failed"
		}
	default: // warnings, the recovery's outcome
		ev.Step, ev.Status, ev.Message = t.step, "log", e.Phase+": "+e.Line
	}
	p.add(ev)
}

// follow returns the live events kept for run id and a channel of the next
// ones, when this process drives the run; live is false otherwise (the
// journal is then the only source).
func (rs *runs) follow(id int64) (kept []api.RunEvent, next <-chan api.RunEvent, stop func(), live bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	t := rs.active
	if t == nil || t.id != id || t.live.closed {
		return nil, nil, func() {}, false
	}
	ch := make(chan api.RunEvent, 256)
	if t.live.subs == nil {
		t.live.subs = map[chan api.RunEvent]struct{}{}
	}
	t.live.subs[ch] = struct{}{}
	stop = func() {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		if _, ok := t.live.subs[ch]; ok {
			delete(t.live.subs, ch)
			close(ch)
		}
	}
	return append([]api.RunEvent(nil), t.live.events...), ch, stop, true
}

// pollEvery is how often a run that another process drives is read again
// from the journal.
const pollEvery = 500 * time.Millisecond

// RunEvents sends the run's events after since: first what the journal
// and the live events hold, then each new one, until the run has ended.
func (b *Backend) RunEvents(ctx context.Context, id string, since int64, send func(api.RunEvent) error) error {
	n, err := runID(id)
	if err != nil {
		return err
	}
	if _, err := b.Run(ctx, id); err != nil {
		return err
	}
	last := since
	out := func(e api.RunEvent) error {
		if e.Seq <= last {
			return nil
		}
		last = e.Seq
		return send(e)
	}
	for {
		kept, next, stop, live := b.runs.follow(n)
		ended, err := b.catchUp(ctx, n, kept, out)
		if err != nil || (ended && !live) {
			stop()
			return err
		}
		err = forward(ctx, next, out)
		stop()
		if err != nil {
			return err
		}
	}
}

// catchUp sends what the journal and the kept live events hold; it reports
// whether the journal shows the run ended.
func (b *Backend) catchUp(ctx context.Context, id int64, kept []api.RunEvent, out func(api.RunEvent) error) (bool, error) {
	r, err := b.o.Store.Run(ctx, id)
	if err != nil {
		return false, err
	}
	// The journal may be ahead of a late follower's kept live events:
	// merge by number so that a warning kept live is not skipped.
	all := append(replay(r), kept...)
	slices.SortStableFunc(all, func(a, b api.RunEvent) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, e := range all {
		if err := out(e); err != nil {
			return false, err
		}
	}
	return !r.Pending() || r.State == store.RunRestoreFailed, nil
}

// forward sends the live events until the channel closes (the run ended,
// or this follower fell behind); without a channel it waits pollEvery.
func forward(ctx context.Context, next <-chan api.RunEvent, out func(api.RunEvent) error) error {
	if next == nil {
		t := time.NewTimer(pollEvery)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-next:
			if !ok {
				return nil
			}
			if err := out(e); err != nil {
				return err
			}
		}
	}
}

// replay turns a run's journal into its events: each step's start, its
// output lines and its end.
func replay(r *store.Run) []api.RunEvent {
	var out []api.RunEvent
	for _, s := range r.Steps {
		base := int64(s.N) * seqStep
		out = append(out, api.RunEvent{Seq: base, At: parseTime(s.StartedAt), Step: s.Name, Status: "started"})
		if s.State == store.StepStarted {
			continue
		}
		end := parseTime(s.EndedAt)
		for i, line := range outputLines(s.Output) {
			out = append(out, api.RunEvent{Seq: base + min(int64(i+1), seqEnd-1), At: end, Step: s.Name, Status: "log", Message: line})
		}
		e := api.RunEvent{Seq: base + seqEnd, At: end, Step: s.Name, Status: "done", Elapsed: s.Duration().Seconds()}
		if s.State == store.StepFailed {
			e.Status, e.Message = "failed", s.Error
		}
		out = append(out, e)
	}
	return out
}

// outputLines splits a step's journaled output as the runner passed it on.
func outputLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r")
	}
	return lines
}
