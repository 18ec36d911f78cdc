package presenter

import (
	"context"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Backoff is the wait between reconnection attempts: Min, doubled after
// each failure up to Max. The zero value waits 1 s to 30 s.
type Backoff struct {
	Min, Max time.Duration
	next     time.Duration
}

// Next is the wait before the next attempt.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi < lo {
		hi = 30 * time.Second
	}
	if b.next < lo {
		b.next = lo
	}
	d := b.next
	b.next = min(2*b.next, hi)
	return d
}

// Reset starts again from Min after a success.
func (b *Backoff) Reset() { b.next = 0 }

// Monitor keeps a Snapshot of the agent up to date: it polls the status
// (the report, runs and events only when they changed), reconnects with
// Backoff when the agent goes away, and hands out notifications once.
type Monitor struct {
	Client Reader
	News   *News
	// OnChange gets every new snapshot and OnNotify every notification,
	// from the monitor's goroutine (the shell hands them to the UI thread).
	OnChange func(Snapshot)
	OnNotify func(Notification)
	Poll     time.Duration // between polls while idle; default 15 s
	Busy     time.Duration // between polls while a run is in progress; default 2 s
	Backoff  Backoff
	// Follow makes Run follow the agent's event stream (when the Client is
	// a Follower) instead of polling: it reads the status when an event
	// comes, every Busy during a run, and otherwise only every Slow
	// (default 5 min), for what makes no event (a scan that found the same,
	// a run started on the host). An agent without the stream is polled
	// every Poll. The tray with no window open follows; the window polls.
	Follow bool
	Slow   time.Duration
	// Wait sleeps for d or until ctx ends or Refresh is called; tests
	// replace it. Default: a timer.
	Wait func(ctx context.Context, d time.Duration, refresh <-chan struct{}) error
	// Now is the clock for the next attempt's time; default time.Now.
	Now func() time.Time

	once    sync.Once
	refresh chan struct{}
	snap    Snapshot
	started time.Time
	scanID  int64
	runs    bool // the agent answered Runs (not NotAvailable)
	events  bool
	stream  streamState
	// lostSaid: the loss of the agent was announced (and its return will be).
	lostSaid bool
}

// Refresh asks the monitor to poll now (after Check now, an apply…).
func (m *Monitor) Refresh() {
	select {
	case m.ch() <- struct{}{}:
	default:
	}
}

func (m *Monitor) ch() chan struct{} {
	m.once.Do(func() { m.refresh = make(chan struct{}, 1) })
	return m.refresh
}

// Init prepares the monitor for Step; Run calls it.
func (m *Monitor) Init() {
	if m.News == nil {
		m.News = NewNews(nil, 0)
	}
	if m.Wait == nil {
		m.Wait = wait
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	m.started = time.Now()
	m.stream.seen(m.News.Since)
}

// Run polls until ctx ends and returns its error.
func (m *Monitor) Run(ctx context.Context) error {
	m.Init()
	if f, ok := m.Client.(Follower); ok && m.Follow {
		m.stream.following.Store(true)
		go m.follow(ctx, f)
	}
	for {
		d := m.Step(ctx)
		if err := m.Wait(ctx, d, m.ch()); err != nil {
			return err
		}
	}
}

// Step polls once, reports the snapshot and the news, and returns how long
// to wait before the next poll.
func (m *Monitor) Step(ctx context.Context) time.Duration {
	st, err := m.Client.Status(ctx)
	if err != nil {
		return m.lost(err)
	}
	m.Backoff.Reset()
	reconnected := m.snap.Conn != Online
	var news []Notification
	if reconnected && m.lostSaid {
		news = append(news, Notification{Title: "Upkeep: the agent answers again", Body: "The tray is connected to the Upkeep agent again.", Open: "updates"})
	}
	m.lostSaid = false
	m.snap.Conn, m.snap.Err, m.snap.RetryIn, m.snap.RetryAt = Online, nil, 0, time.Time{}
	prev := m.snap.Status
	m.snap.Status = st
	if reconnected {
		m.runs, m.events = true, true // the agent may have been updated: ask again
	}
	news = append(news, m.readEvents(ctx)...)
	if scanChanged(st, m.scanID) || reconnected {
		news = append(news, m.readReport(ctx)...)
	}
	if reconnected || runChanged(prev, st) {
		news = append(news, m.readRuns(ctx)...)
	}
	m.emit(news)
	if st.Running != nil {
		return orDefault(m.Busy, 2*time.Second)
	}
	if m.Follow && m.stream.on() {
		return orDefault(m.Slow, 5*time.Minute)
	}
	return orDefault(m.Poll, 15*time.Second)
}

// lost records a failed status read and returns the backoff wait. Losing
// an agent that answered is news, once.
func (m *Monitor) lost(err error) time.Duration {
	d := m.Backoff.Next()
	var news []Notification
	if m.snap.Conn == Online && !m.lostSaid {
		m.lostSaid = true
		news = append(news, Notification{Title: "Upkeep: the agent is not answering",
			Body: "The tray lost the Upkeep agent (is the upkeep service running?). It keeps trying by itself; its icon is grey until the agent answers."})
	}
	m.snap.Conn, m.snap.Err, m.snap.RetryIn, m.snap.RetryAt = Offline, err, d, m.Now().Add(d)
	if Classify(err) == Denied {
		m.snap.Conn = Refused
	}
	m.emit(news)
	return d
}

func (m *Monitor) emit(news []Notification) {
	if m.OnChange != nil {
		m.OnChange(m.snap)
	}
	if m.OnNotify != nil {
		for _, n := range news {
			m.OnNotify(n)
		}
	}
}

func scanChanged(st *api.Status, seen int64) bool {
	return st.LastScan != nil && st.LastScan.ID != seen
}

// runChanged says whether a run started, moved on or ended between polls.
func runChanged(prev, cur *api.Status) bool {
	if prev == nil {
		return true
	}
	a, b := prev.Running, cur.Running
	if a == nil || b == nil {
		return a != b
	}
	return a.ID != b.ID || a.State != b.State
}

func (m *Monitor) readReport(ctx context.Context) []Notification {
	rep, err := m.Client.Report(ctx)
	m.snap.ReportErr = nil
	switch {
	case err == nil:
		m.snap.Report, m.scanID = rep, rep.ID
	case Classify(err) == NotFound:
		m.snap.Report = nil
	default:
		m.snap.ReportErr = err
		return nil
	}
	if m.events || rep == nil {
		return nil // the agent's history announces scans
	}
	return m.News.FromReport(rep.Report)
}

func (m *Monitor) readRuns(ctx context.Context) []Notification {
	if !m.runs {
		return nil
	}
	runs, err := m.Client.Runs(ctx, 20)
	switch Classify(err) {
	case NoProblem:
	case NotAvailable:
		m.runs, m.snap.RunsAvailable, m.snap.LastRun = false, false, nil
		return nil
	default:
		return nil
	}
	m.snap.RunsAvailable, m.snap.LastRun = true, nil
	if len(runs) > 0 {
		m.snap.LastRun = &runs[0]
	}
	if m.events {
		return nil
	}
	return m.News.FromRuns(runs, m.started)
}

func (m *Monitor) readEvents(ctx context.Context) []Notification {
	if !m.events {
		return nil
	}
	evs, err := m.Client.Events(ctx, api.EventQuery{Since: m.News.Since, Limit: 100})
	if Classify(err) == NotAvailable {
		m.events = false // no history: announce from the report and the runs instead
		return nil
	}
	if err != nil {
		return nil
	}
	news := m.News.FromEvents(evs, m.started)
	m.stream.seen(m.News.Since)
	return news
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// wait sleeps for d, or until ctx ends (its error) or refresh fires.
func wait(ctx context.Context, d time.Duration, refresh <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-refresh:
	}
	return nil
}
