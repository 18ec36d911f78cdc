package presenter

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Follower streams the agent's history events as they happen; *api.Client has it.
type Follower interface {
	WatchEvents(ctx context.Context, since int64, fn func(api.Event) error) error
}

// streamState is what the monitor and its follower share about the event
// stream: whether it is being followed, whether the agent refused it, and
// the last event seen (where a new connection starts).
type streamState struct {
	following, off atomic.Bool
	last           atomic.Int64
}

// on says whether events come from the stream, so polling may be slow.
func (s *streamState) on() bool { return s.following.Load() && !s.off.Load() }

// seen moves the last event seen forward to id.
func (s *streamState) seen(id int64) {
	for {
		cur := s.last.Load()
		if id <= cur || s.last.CompareAndSwap(cur, id) {
			return
		}
	}
}

// follow watches the agent's event stream until ctx ends, and makes the
// monitor poll at once on every event and when the stream breaks (the
// agent may have gone: the status read tells, and the tray says so at
// once rather than at the next slow poll). It reconnects after the
// Backoff's waits (reset by an event) and, when the agent has no stream,
// asks again only every Slow: it never spins.
func (m *Monitor) follow(ctx context.Context, f Follower) {
	var back Backoff
	for {
		m.stream.off.Store(false)
		err := f.WatchEvents(ctx, m.stream.last.Load(), func(ev api.Event) error {
			m.stream.seen(ev.ID)
			back.Reset()
			m.Refresh()
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		m.Refresh()
		wait := back.Next()
		if Classify(err) == NotAvailable {
			m.stream.off.Store(true) // poll every Poll from now on
			wait = orDefault(m.Slow, 5*time.Minute)
		}
		if Sleep(ctx, wait) != nil {
			return
		}
	}
}

// Sleep waits for d or until ctx ends (its error).
func Sleep(ctx context.Context, d time.Duration) error { return wait(ctx, d, nil) }
