// Package clocktest provides a fake clock for the scheduler's tests: time moves only when the test advances it.
package clocktest

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/agent/schedule"
)

// Fake is a clock whose time moves only with Advance, Set or AdvanceToNext.
// It satisfies schedule.Clock.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed and replaced whenever the set of timers changes
}

type timer struct {
	f  *Fake
	at time.Time
	ch chan time.Time
}

var _ schedule.Clock = (*Fake)(nil)

// New returns a fake clock showing t.
func New(t time.Time) *Fake { return &Fake{now: t, changed: make(chan struct{})} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires once the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) schedule.Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &timer{f: f, at: f.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- f.now
		return t
	}
	f.timers = append(f.timers, t)
	f.signal()
	return t
}

// C is the channel the timer fires on.
func (t *timer) C() <-chan time.Time { return t.ch }

// Stop cancels the timer; it reports whether the timer was still pending.
func (t *timer) Stop() bool {
	f := t.f
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			f.signal()
			return true
		}
	}
	return false
}

// signal wakes WaitTimers; f.mu is held.
func (f *Fake) signal() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Set moves the time to t (forward only) and fires the timers due by then.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t
	}
	f.fire()
}

// Advance moves the time forward by d and fires the timers due by then.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// AdvanceToNext moves the time to the earliest pending timer and fires it;
// it returns the new time, or false when no timer is pending.
func (f *Fake) AdvanceToNext() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.timers) == 0 {
		return f.now, false
	}
	sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
	if at := f.timers[0].at; at.After(f.now) {
		f.now = at
	}
	f.fire()
	return f.now, true
}

// fire sends on every due timer; f.mu is held.
func (f *Fake) fire() {
	kept := f.timers[:0]
	for _, t := range f.timers {
		if t.at.After(f.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- f.now
	}
	if len(kept) != len(f.timers) {
		clear(f.timers[len(kept):])
		f.timers = kept
		f.signal()
	}
}

// NextTimer returns when the earliest pending timer fires.
func (f *Fake) NextTimer() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	for _, t := range f.timers {
		if next.IsZero() || t.at.Before(next) {
			next = t.at
		}
	}
	return next, !next.IsZero()
}

// Pending returns how many timers wait to fire.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// ErrTimeout says WaitTimers gave up.
var ErrTimeout = errors.New("clocktest: timed out waiting for timers")

// WaitTimers blocks until n timers are pending, or fails after the real
// duration limit (a guard against a hung test, not a sleep).
func (f *Fake) WaitTimers(n int, limit time.Duration) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		have, changed := len(f.timers), f.changed
		f.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return fmt.Errorf("%w: %d pending after %s, want %d", ErrTimeout, have, limit, n)
		}
	}
}
