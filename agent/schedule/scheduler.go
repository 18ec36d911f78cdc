// Package schedule runs the agent's periodic scans: jittered ticks, quiet backoff, maintenance windows and the silent patch policy, with its actions injected.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Actions are what the schedule does; the service wires them to the scan,
// the apply runner and the store.
type Actions interface {
	Scan(ctx context.Context) (*scan.Report, error)
	Plan(report *scan.Report) (*scan.Plan, error)
	Stage(ctx context.Context, plan *scan.Plan) error // download and verify the archives, ready to apply
	Rehearse(ctx context.Context, plan *scan.Plan) (passed bool, err error)
	Apply(ctx context.Context, plan *scan.Plan) (ApplyResult, error)
	RehearsalPassed(ctx context.Context, hash string) (bool, error)
}

// ApplyResult is what an apply did. With a nil error the plan was applied;
// otherwise State tells whether the instance is as before.
type ApplyResult struct {
	RunID int64  // the journal's run; 0 when none started
	State string // store.RunSucceeded, store.RunFailedRestored, store.RunRestoreFailed; "" when the apply did not start
	// Untouched says a failed run stopped before the ERP was touched (at
	// preflight or the download): nothing changed, nothing was restored.
	Untouched bool
}

// EventLog keeps the events; *store.Events is one.
type EventLog interface {
	Add(ctx context.Context, e store.Event) (store.Event, bool, error)
	Seen(ctx context.Context, keys ...string) (map[string]bool, error)
	Unsent(ctx context.Context, since time.Time) ([]store.Event, error)
	MarkSent(ctx context.Context, ids []int64, sendErr error) error
}

// Notifier sends events to the admin; *notify.Notifier is one.
type Notifier interface {
	Send(ctx context.Context, events []store.Event) error
}

// Options inject what the schedule runs on; zero values take the defaults.
type Options struct {
	Clock      Clock          // default SystemClock()
	Location   *time.Location // the host's time zone for windows and cron; default time.Local
	Rand       *rand.Rand     // jitter; default randomly seeded
	Logger     *slog.Logger   // default slog.Default()
	Notifier   Notifier       // nil: events are kept and pushed, not sent
	MinBackoff time.Duration  // first retry after a failed scan; default 1m
	MaxBackoff time.Duration  // longest retry delay; default 1h (never later than the next regular scan)
}

// Status is what the schedule is doing, for `upkeep status`.
type Status struct {
	LastScan     time.Time `json:"last_scan,omitzero"`
	NextScan     time.Time `json:"next_scan,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	Failures     int       `json:"failures,omitempty"` // consecutive failed scans
	FailingSince time.Time `json:"failing_since,omitzero"`
	Waiting      string    `json:"waiting,omitempty"` // a plan waiting for the maintenance window
	Spec         Spec      `json:"-"`                 // the schedule in use (the last Reconfigure's once the loop took it)
	// NextWindow is when the next maintenance window opens (now, when one
	// is open) and NextWindowEnd when it closes; zero without windows.
	NextWindow    time.Time `json:"next_window,omitzero"`
	NextWindowEnd time.Time `json:"next_window_end,omitzero"`
	// RecordError says the event log cannot be written (a full disk): the
	// events wait in memory and are recorded once it can.
	RecordError string `json:"record_error,omitempty"`
}

// Scheduler runs scans on its clock and acts on them by its policy.
type Scheduler struct {
	spec    Spec
	a       Actions
	ev      EventLog
	opt     Options
	cron    cron.Schedule // nil: every spec.Every
	trigger chan struct{}
	reconf  chan struct{} // Reconfigure left a change in pending

	// loop state, owned by Run's goroutine
	last       time.Time // the last regular tick passed; zero before the first scan
	tick, due  time.Time // the current regular tick, and when its scan is due (tick + jitter)
	failures   int
	downSince  time.Time
	staged     string        // hash of the last plan staged
	sendAfter  time.Time     // after a failed send, the next try waits until then
	unrecorded []store.Event // events the log refused, recorded once it can be written

	mu      sync.Mutex
	status  Status
	pending *change // the change Reconfigure left for the loop
}

// New checks the spec and returns a scheduler; call Run to start it.
func New(spec Spec, a Actions, ev EventLog, opt Options) (*Scheduler, error) {
	spec, sched, err := prepare(spec)
	if err != nil {
		return nil, err
	}
	if a == nil || ev == nil {
		return nil, errors.New("schedule.New: give the actions and the event log")
	}
	s := &Scheduler{spec: spec, a: a, ev: ev, opt: opt, cron: sched, trigger: make(chan struct{}, 1), reconf: make(chan struct{}, 1)}
	s.status.Spec = spec
	s.opt.defaults()
	return s, nil
}

// prepare fills in the default period, checks the spec and parses its cron
// expression (nil for a period).
func prepare(spec Spec) (Spec, cron.Schedule, error) {
	if spec.Every == 0 && spec.Cron == "" {
		spec.Every = DefaultEvery
	}
	if err := spec.Validate(); err != nil {
		return spec, nil, fmt.Errorf("schedule: %w", err)
	}
	if spec.Cron == "" {
		return spec, nil, nil
	}
	sched, err := ParseCron(strings.TrimSpace(spec.Cron))
	return spec, sched, err
}

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Minute
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(time.Hour, o.MinBackoff)
	}
}

// Run scans at start (after a jitter) and then on the schedule, until ctx
// is done; it returns ctx's error. Run one loop at a time.
func (s *Scheduler) Run(ctx context.Context) error {
	s.tick = s.now()
	s.due = s.tick.Add(s.jitter(s.spec.Jitter))
	wake := s.due
	for {
		s.setStatus(func(st *Status) { st.NextScan = wake })
		t := s.opt.Clock.NewTimer(wake.Sub(s.now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		case <-s.trigger:
			t.Stop()
		case <-s.reconf:
			t.Stop()
			wake = s.adopt(wake)
			continue
		}
		wake = s.cycle(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// ScanNow makes the running loop scan at once (the local API's "scan now").
func (s *Scheduler) ScanNow() {
	select {
	case s.trigger <- struct{}{}:
	default:
	}
}

// Status returns what the schedule is doing, and when its next
// maintenance window opens.
func (s *Scheduler) Status() Status {
	s.mu.Lock()
	st := s.status
	s.mu.Unlock()
	st.NextWindow, st.NextWindowEnd, _ = st.Spec.Windows.Next(s.now())
	return st
}

func (s *Scheduler) setStatus(f func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.status)
}

func (s *Scheduler) now() time.Time { return s.opt.Clock.Now().In(s.opt.Location) }

// cycle scans once, acts on the result and returns when to wake next.
func (s *Scheduler) cycle(ctx context.Context) time.Time {
	started := s.now()
	s.flush(ctx)
	report, err := s.a.Scan(ctx)
	if ctx.Err() != nil {
		return started
	}
	if err != nil {
		s.scanFailed(ctx, started, err)
		s.deliver(ctx)
		now := s.now()
		s.advance(now)
		return earliest(now.Add(s.backoff()), s.due)
	}
	s.scanWorked(ctx, started)
	waiting := s.handle(ctx, report)
	s.deliver(ctx)
	now := s.now()
	s.advance(now)
	next := s.due
	if waiting {
		if w, ok := s.windowWake(now); ok && w.Before(next) {
			next = w
		}
	}
	return next
}

// advance moves the regular tick past now and draws the next scan's jitter.
func (s *Scheduler) advance(now time.Time) {
	for !s.due.After(now) {
		s.last = s.tick
		if s.cron == nil {
			if behind := now.Sub(s.tick); behind > s.spec.Every {
				s.tick = s.tick.Add(behind / s.spec.Every * s.spec.Every) // skip the ticks missed while asleep
			}
			s.tick = s.tick.Add(s.spec.Every)
		} else {
			s.tick = s.cron.Next(s.tick.In(s.opt.Location))
			if s.tick.IsZero() {
				s.tick = now.Add(100 * 365 * 24 * time.Hour) // an expression with no next time: Validate refuses it
			}
		}
		s.due = s.tick.Add(s.jitter(s.spec.Jitter))
	}
}

// jitter returns a random duration in [0, max).
func (s *Scheduler) jitter(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	return time.Duration(s.opt.Rand.Int64N(int64(limit)))
}

// backoff is the delay before retrying after s.failures failed scans:
// doubling from MinBackoff up to MaxBackoff, then a random half of it on top
// of the other half, so that a fleet does not retry in step.
func (s *Scheduler) backoff() time.Duration {
	d := s.opt.MinBackoff
	for i := 1; i < s.failures && d < s.opt.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opt.MaxBackoff)
	return d/2 + s.jitter(d/2+1)
}

// windowWake is when to wake for the next maintenance window: its opening
// plus a jitter of at most a quarter of its length.
func (s *Scheduler) windowWake(now time.Time) (time.Time, bool) {
	start, end, ok := s.spec.Windows.Next(now)
	if !ok {
		return time.Time{}, false
	}
	return start.Add(s.jitter(min(s.spec.Jitter, end.Sub(start)/4))), true
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// scanFailed counts a failed scan; only the first of a run of failures
// becomes an event and a warning.
func (s *Scheduler) scanFailed(ctx context.Context, at time.Time, err error) {
	s.failures++
	if s.failures == 1 {
		s.downSince = at
		s.opt.Logger.Warn("update check failed; retrying quietly with backoff", "err", err)
		s.record(ctx, failingEvent(err, at))
	} else {
		s.opt.Logger.Debug("update check failed again", "failures", s.failures, "err", err)
	}
	s.setStatus(func(st *Status) {
		st.LastError, st.Failures, st.FailingSince = err.Error(), s.failures, s.downSince
	})
}

// scanWorked records that scans work again after failures.
func (s *Scheduler) scanWorked(ctx context.Context, at time.Time) {
	if s.failures > 0 {
		s.opt.Logger.Info("update checks work again", "failures", s.failures, "since", s.downSince)
		s.record(ctx, reachableEvent(s.downSince, at, s.failures))
		s.failures = 0
	}
	s.opt.Logger.Info("scan finished", "at", at.Format(time.RFC3339))
	s.setStatus(func(st *Status) {
		st.LastScan, st.LastError, st.Failures, st.FailingSince = at, "", 0, time.Time{}
	})
}

// record adds events to the log; an event the log refuses is logged and
// kept to be recorded later (the schedule goes on).
func (s *Scheduler) record(ctx context.Context, events ...store.Event) {
	for _, e := range events {
		got, isNew, err := s.ev.Add(ctx, e)
		switch {
		case err != nil:
			s.keep(e, err)
		case isNew:
			s.opt.Logger.Info(got.Title, "event", got.ID, "kind", got.Kind, "level", got.Level)
		}
	}
}

// sendRetry is the least time between two failed sends, so that an outage
// that takes the notifiers down too does not use up their attempts.
const sendRetry = 10 * time.Minute

// deliver sends the events of the last day not sent yet.
func (s *Scheduler) deliver(ctx context.Context) {
	if s.opt.Notifier == nil || s.now().Before(s.sendAfter) {
		return
	}
	evs, err := s.ev.Unsent(ctx, s.now().Add(-24*time.Hour))
	if err != nil {
		s.opt.Logger.Error("read unsent events", "err", err)
		return
	}
	if len(evs) == 0 {
		return
	}
	ids := make([]int64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	sendErr := s.opt.Notifier.Send(ctx, evs)
	if sendErr != nil {
		s.sendAfter = s.now().Add(sendRetry)
		s.opt.Logger.Warn("send notifications; retrying later", "events", len(evs), "err", sendErr)
	}
	if err := s.ev.MarkSent(ctx, ids, sendErr); err != nil {
		s.opt.Logger.Error("record notifications", "err", errors.Join(err, sendErr))
	}
}
