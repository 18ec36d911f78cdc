package presenter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
	"github.com/upkeep-erp/upkeep/internal/testwait"
)

func TestBackoffDoublesToItsCapAndResets(t *testing.T) {
	var b presenter.Backoff
	var got []time.Duration
	for range 7 {
		got = append(got, b.Next())
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", got, want)
		}
	}
	b.Reset()
	if d := b.Next(); d != time.Second {
		t.Errorf("after Reset: %v, want 1s", d)
	}
}

func TestNewsAnnouncesEachUpgradeAndBlockedUpdateOnce(t *testing.T) {
	n := presenter.NewNews(nil, 0)
	rep := presentertest.DemoReport().Report
	first := n.FromReport(rep)
	if len(first) != 1 || !strings.Contains(first[0].Body, "arp 2.0.0") || !strings.Contains(first[0].Body, "core 3.0.0") {
		t.Fatalf("first scan: %+v, want one notification naming arp 2.0.0 and core 3.0.0", first)
	}
	if first[0].Title != "Upkeep: 1 new upgrade, 1 blocked update" {
		t.Errorf("title %q", first[0].Title)
	}
	if again := n.FromReport(rep); len(again) != 0 {
		t.Errorf("the same scan again: %+v, want no notification", again)
	}
	// A later scan with one more upgrade announces only that one.
	later := presentertest.DemoReport().Report
	extra := later.UpgradeNotices[0]
	extra.Module, extra.To = "warehouse", catalog.MustParseVersion("2.0.0")
	later.UpgradeNotices = append(later.UpgradeNotices, extra)
	got := n.FromReport(later)
	if len(got) != 1 || got[0].Body != "Upgrade available: warehouse 2.0.0" {
		t.Errorf("later scan: %+v, want only warehouse 2.0.0", got)
	}
	// The next session starts from the saved keys and stays quiet.
	next := presenter.NewNews(n.Keys(), n.Since)
	if got := next.FromReport(later); len(got) != 0 {
		t.Errorf("next session: %+v, want nothing", got)
	}
}

func TestNewsAnnouncesEndedRunsOnceAndOldOnesNeverOnAFirstStart(t *testing.T) {
	start := time.Now()
	before, after := start.Add(-time.Hour), start.Add(time.Minute)
	runs := []api.Run{
		{ID: "2", Kind: "apply", State: "failed-restored", Step: "update core", Ended: &after},
		{ID: "1", Kind: "apply", State: "succeeded", Ended: &before},
		{ID: "3", Kind: "rehearse", State: "running"},
	}
	n := presenter.NewNews(nil, 0)
	got := n.FromRuns(runs, start)
	if len(got) != 1 || !strings.Contains(got[0].Title, "failed, instance restored") || !strings.Contains(got[0].Body, "“update core”") {
		t.Fatalf("first look: %+v, want only run 2's failure", got)
	}
	if got := n.FromRuns(runs, start); len(got) != 0 {
		t.Errorf("second look: %+v", got)
	}
	// A session that remembers something announces every unseen ended run.
	m := presenter.NewNews([]string{"run:2"}, 0)
	if got := m.FromRuns(runs, start); len(got) != 1 || got[0].Title != "Upkeep: apply succeeded" {
		t.Errorf("remembering session: %+v, want run 1's success", got)
	}
}

func TestNewsFromEventsMovesSinceAndAnnouncesWhatTheAgentMarks(t *testing.T) {
	now := time.Now()
	n := presenter.NewNews([]string{"x"}, 0)
	evs := []api.Event{
		{ID: 1, At: now, Kind: "nothing-new", Summary: "nothing new"},
		{ID: 2, At: now, Kind: "upgrade-available", Summary: "core 3.0.0 is out", Notify: true},
		{ID: 3, At: now, Kind: "patches", Summary: "new patch core 2.50.21"},
	}
	got := n.FromEvents(evs, now)
	if len(got) != 1 || got[0].Title != "Upkeep: upgrade available" || got[0].Body != "core 3.0.0 is out" || n.Since != 3 {
		t.Errorf("got %+v since %d", got, n.Since)
	}
	if got := n.FromEvents(evs, now); len(got) != 0 {
		t.Errorf("same events again: %+v", got)
	}
}

// steps runs the monitor's polls by hand and collects what it reports.
type steps struct {
	m     *presenter.Monitor
	snaps []presenter.Snapshot
	news  []presenter.Notification
}

func newSteps(a presenter.Reader) *steps {
	s := &steps{}
	s.m = &presenter.Monitor{Client: a,
		OnChange: func(sn presenter.Snapshot) { s.snaps = append(s.snaps, sn) },
		OnNotify: func(n presenter.Notification) { s.news = append(s.news, n) }}
	s.m.Init()
	return s
}

func (s *steps) step() time.Duration { return s.m.Step(context.Background()) }
func (s *steps) last() presenter.Snapshot {
	return s.snaps[len(s.snaps)-1]
}

func TestMonitorReconnectsWithBackoffAndSaysSo(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Status", &api.UnreachableError{Path: "/run/upkeep/upkeep.sock", Err: errors.New("connection refused")})
	s := newSteps(a)
	var waits []time.Duration
	for range 3 {
		waits = append(waits, s.step())
		if snap := s.last(); snap.Conn != presenter.Offline || snap.Icon() != presenter.IconUnreachable ||
			!strings.HasPrefix(snap.StatusLine(), "Agent unreachable: retrying in") {
			t.Fatalf("while unreachable: %+v, %q", snap, snap.StatusLine())
		}
	}
	if waits[0] != time.Second || waits[1] != 2*time.Second || waits[2] != 4*time.Second {
		t.Errorf("waits %v, want 1s 2s 4s", waits)
	}
	a.Fail("Status", nil)
	if d := s.step(); d != 15*time.Second {
		t.Errorf("after reconnecting the next poll is in %v, want 15s", d)
	}
	if snap := s.last(); snap.Conn != presenter.Online || snap.Report == nil || snap.Icon() != presenter.IconAvailable {
		t.Errorf("after reconnecting: conn %v, report %v, icon %v", snap.Conn, snap.Report != nil, snap.Icon())
	}
	a.Fail("Status", &api.AccessDeniedError{Message: "ask an administrator"})
	if s.step(); s.last().Conn != presenter.Refused {
		t.Errorf("access denied: conn %v, want Refused", s.last().Conn)
	}
}

func TestMonitorNotifiesFromTheReportWhenTheAgentKeepsNoHistory(t *testing.T) {
	a := presentertest.NewDemo()
	a.Unavailable("Events", "Runs")
	s := newSteps(a)
	s.step()
	s.step()
	if len(s.news) != 1 || !strings.Contains(s.news[0].Body, "core 3.0.0") {
		t.Fatalf("news after two polls: %+v, want one", s.news)
	}
	if n := strings.Count(strings.Join(a.Called(), "\n"), "Report"); n != 1 {
		t.Errorf("the report was read %d times for one scan, want 1", n)
	}
	if s.last().RunsAvailable {
		t.Error("runs are said to be available although the agent answered NotAvailable")
	}
	// A new scan with nothing new: no notification.
	a.Set(func(a *presentertest.Agent) { a.Stat.LastScan = &api.ScanInfo{ID: 99} })
	s.step()
	if len(s.news) != 1 {
		t.Errorf("a rescan with nothing new notified: %+v", s.news[1:])
	}
}

func TestMonitorNotifiesFromTheHistoryWhenTheAgentKeepsOne(t *testing.T) {
	a := presentertest.NewDemo()
	a.Fail("Runs", nil)
	s := newSteps(a)
	s.m.News = presenter.NewNews([]string{"old"}, 0)
	ended := time.Now()
	a.Set(func(a *presentertest.Agent) {
		a.EventList = []api.Event{{ID: 5, At: time.Now(), Kind: "failed-restored", Summary: "apply 3 failed; restored", Notify: true}}
		a.RunList = []api.Run{{ID: "3", Kind: "apply", State: "failed-restored", Ended: &ended}}
	})
	s.step()
	if len(s.news) != 1 || s.news[0].Body != "apply 3 failed; restored" {
		t.Fatalf("news %+v, want only the history's event", s.news)
	}
	if snap := s.last(); !snap.RunsAvailable || snap.Icon() != presenter.IconFailed {
		t.Errorf("runs available %v, icon %v; want true, failed", snap.RunsAvailable, snap.Icon())
	}
	s.step()
	if len(s.news) != 1 {
		t.Errorf("the same event was announced again: %+v", s.news)
	}
}

func TestMonitorPollsFasterWhileARunIsInProgress(t *testing.T) {
	a := presentertest.NewDemo()
	a.Set(func(a *presentertest.Agent) {
		a.Stat.Running = &api.Run{ID: "9", State: "running", Step: "stop the ERP server"}
	})
	s := newSteps(a)
	if d := s.step(); d != 2*time.Second {
		t.Errorf("poll in %v during a run, want 2s", d)
	}
	if got := s.last().StatusLine(); got != "Applying: stop the ERP server" {
		t.Errorf("status line %q", got)
	}
}

func TestMonitorRunStopsWithItsContextAndRefreshWakesIt(t *testing.T) {
	a := presentertest.NewDemo()
	m := &presenter.Monitor{Client: a, Poll: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	if !testwait.Until(5*time.Second, func() bool { m.Refresh(); return strings.Count(strings.Join(a.Called(), " "), "Status") >= 2 }) {
		t.Fatal("Refresh did not make the monitor poll again")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}
