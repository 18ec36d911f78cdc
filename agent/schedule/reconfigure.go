package schedule

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Change is a new configuration for a running scheduler (a reload).
type Change struct {
	Spec     Spec
	Actions  Actions  // nil: keep the current ones
	Notifier Notifier // nil: events are kept and pushed, not sent
}

// change is a checked Change waiting for the loop.
type change struct {
	Change
	cron cron.Schedule
}

// Reconfigure checks c.Spec as New does and hands the change to the
// running loop, which takes it at once when it waits, or after the scan
// or apply in progress, which ends with the configuration it started
// with. A spec that is not valid is refused (the error names the key and
// the fix) and the schedule goes on as before. A later change replaces
// one the loop has not taken yet.
func (s *Scheduler) Reconfigure(c Change) error {
	spec, sched, err := prepare(c.Spec)
	if err != nil {
		return err
	}
	c.Spec = spec
	s.mu.Lock()
	s.pending = &change{Change: c, cron: sched}
	s.mu.Unlock()
	select {
	case s.reconf <- struct{}{}:
	default:
	}
	return nil
}

// adopt takes the pending change and returns when to wake next: the
// regular scan under the new timing, or a retry or window wake still due
// before it. Without a timing change (every, cron, jitter) the wake stays.
func (s *Scheduler) adopt(wake time.Time) time.Time {
	s.mu.Lock()
	c := s.pending
	s.pending = nil
	if c != nil {
		s.status.Spec = c.Spec
	}
	s.mu.Unlock()
	if c == nil {
		return wake
	}
	old, regular := s.spec, wake.Equal(s.due)
	s.spec, s.cron, s.opt.Notifier = c.Spec, c.cron, c.Notifier
	if c.Actions != nil {
		s.a = c.Actions
	}
	s.opt.Logger.Info("schedule reconfigured", "every", s.spec.Every, "cron", s.spec.Cron, "jitter", s.spec.Jitter,
		"windows", s.spec.Windows.String(), "patches", s.spec.Policy.Patches.String(), "updates", s.spec.Policy.Updates.String(),
		"upgrades", s.spec.Policy.Upgrades.String(), "require_rehearsal", s.spec.Policy.RequireRehearsal)
	if old.Every == s.spec.Every && old.Cron == s.spec.Cron && old.Jitter == s.spec.Jitter {
		return wake
	}
	s.retime()
	if regular {
		return s.due
	}
	return earliest(wake, s.due)
}

// retime recomputes the next regular tick from the last one under the new
// timing, skipping ticks already past; before the first scan, that scan
// keeps its tick and draws a new jitter.
func (s *Scheduler) retime() {
	if s.last.IsZero() {
		s.due = s.tick.Add(s.jitter(s.spec.Jitter))
		return
	}
	s.tick = s.last
	s.due = s.tick // due now: advance draws the next tick
	s.advance(s.now())
}
