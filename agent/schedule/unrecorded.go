package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/upkeep-erp/upkeep/agent/store"
)

// EventDiskFull is the event kind of update checks failing on a full disk.
const EventDiskFull = "disk-full"

// maxUnrecorded bounds the events kept in memory while the event log cannot
// be written.
const maxUnrecorded = 256

// failingEvent is the warning for the first of a run of failed checks: a
// full disk says so, anything else is taken for an unreachable repository.
func failingEvent(err error, since time.Time) store.Event {
	if !store.DiskFull(err) {
		return unreachableEvent(err, since)
	}
	return store.Event{Kind: EventDiskFull, Level: store.LevelError,
		Title: "Update checks are failing: a disk is full",
		Body: "Error: " + err.Error() + "\nFree room on the disk of the agent's state folder ([state] dir) or the folder the error names. " +
			"The agent goes on running, retries with growing delays and says when checks work again.\n",
		NewsKey: store.EventUnreachable + ":" + since.UTC().Format(time.RFC3339Nano), Notify: true}
}

// keep holds an event the log refused, to record it once the log can be
// written again; it says so in the log and the status.
func (s *Scheduler) keep(e store.Event, err error) {
	msg := fmt.Sprintf("the event log cannot be written (%v); %d event(s) are kept in memory until it can", err, len(s.unrecorded)+1)
	if store.DiskFull(err) {
		msg = fmt.Sprintf("the state database's disk is full (%v): free room on the disk of [state] dir; %d event(s) are kept in memory until then",
			err, len(s.unrecorded)+1)
	}
	s.opt.Logger.Error(msg, "title", e.Title)
	s.setStatus(func(st *Status) { st.RecordError = msg })
	for _, u := range s.unrecorded {
		if e.NewsKey != "" && u.NewsKey == e.NewsKey {
			return
		}
	}
	if len(s.unrecorded) < maxUnrecorded {
		s.unrecorded = append(s.unrecorded, e)
	}
}

// flush records the events kept while the log could not be written.
func (s *Scheduler) flush(ctx context.Context) {
	if len(s.unrecorded) == 0 {
		return
	}
	kept := s.unrecorded
	s.unrecorded = nil
	s.setStatus(func(st *Status) { st.RecordError = "" })
	s.record(ctx, kept...)
	if len(s.unrecorded) == 0 {
		s.opt.Logger.Info("the event log can be written again; recorded the events kept meanwhile", "events", len(kept))
	}
}

// markUnrecorded counts the kept events' news as seen, so that a failed
// apply whose event waits in memory is not tried again.
func (s *Scheduler) markUnrecorded(seen map[string]bool) {
	for _, e := range s.unrecorded {
		if e.NewsKey != "" {
			seen[e.NewsKey] = true
		}
	}
}
