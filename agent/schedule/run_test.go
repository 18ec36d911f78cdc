package schedule_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/schedule/clocktest"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/testwait"
)

func paris(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustWindows(t *testing.T, specs ...string) schedule.Windows {
	ws, err := schedule.ParseWindows(specs)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// A simulated week in Paris, Monday 23 to Monday 30 March 2026 (DST starts
// on Sunday 29): a patch appears on Tuesday, the repository is down on
// Wednesday, the patch is applied in Saturday's window after a rehearsal,
// an update appears on Saturday and is staged but not applied in Sunday's
// window.
func TestRunSimulatedWeek(t *testing.T) {
	loc := paris(t)
	at := func(day, hm string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", "2026-03-"+day+" "+hm, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	start, end := at("23", "00:00"), at("30", "00:00")
	spec := schedule.Spec{Every: 6 * time.Hour, Jitter: 30 * time.Minute,
		Windows: mustWindows(t, "Sat 02:00-04:00", "Sun 02:00-04:00"),
		Policy:  schedule.Policy{Patches: schedule.Apply, Updates: schedule.Stage, Upgrades: schedule.Notify, RequireRehearsal: true}}
	s := newSim(t, start, spec, map[string]string{"arp": "1.4.0", "core": "2.50.21", "mail": "2.0.0"})
	s.world.publish(at("24", "12:00"), "arp", "1.4.0.1", catalog.KindPatch)
	s.world.publish(at("28", "12:00"), "mail", "2.1.0", catalog.KindUpdate)
	outage := [2]time.Time{at("25", "08:00"), at("25", "20:00")}
	s.world.outages = append(s.world.outages, outage)

	s.runUntil(end)
	w := s.world

	// Every regular tick (start + k·6h) has a scan within its jitter.
	inTick := func(x time.Time) bool {
		k := x.Sub(start) / spec.Every
		return x.Sub(start.Add(k*spec.Every)) < spec.Jitter
	}
	for tick := start; tick.Before(end); tick = tick.Add(spec.Every) {
		found := false
		for _, x := range w.scans {
			found = found || (!x.Before(tick) && x.Before(tick.Add(spec.Jitter)))
		}
		if !found {
			t.Errorf("no scan within [%s, +%s)", tick, spec.Jitter)
		}
	}
	// Other scans are backoff retries during the outage or the wake at a window's opening.
	windowWakes := 0
	for _, x := range w.scans {
		switch {
		case inTick(x):
		case !x.Before(outage[0]) && x.Before(outage[1].Add(time.Hour)):
		case x.Weekday() == time.Saturday && x.Hour() == 2 && x.Minute() < 30:
			windowWakes++
		default:
			t.Errorf("unexpected scan at %s", x)
		}
	}
	if windowWakes != 1 {
		t.Errorf("%d wakes at Saturday's window, want 1", windowWakes)
	}
	// Backoff: few tries, growing then capped, never a burst.
	if n := len(w.failed); n < 8 || n > 25 {
		t.Errorf("%d failed tries during a 12-hour outage, want between 8 and 25", n)
	}
	for i := 1; i < len(w.failed); i++ {
		if gap := w.failed[i].Sub(w.failed[i-1]); gap < 30*time.Second || gap > time.Hour {
			t.Errorf("retry gap %s after %s, want between 30s and 1h", gap, w.failed[i-1])
		}
	}
	if len(w.scans) > 28+25+1 {
		t.Errorf("%d scans in a week", len(w.scans))
	}

	// The patch was rehearsed and applied once, inside Saturday's window; the update never.
	if len(w.applies) != 1 {
		t.Fatalf("%d applies, want 1", len(w.applies))
	}
	a := w.applies[0]
	if !spec.Windows.Contains(a.at) || a.at.Weekday() != time.Saturday || kinds(a.plan) != "arp@1.4.0.1(patch)" {
		t.Errorf("applied %s at %s", kinds(a.plan), a.at)
	}
	if len(w.rehearsals) != 1 || w.rehearsals[0] != a.plan.Hash {
		t.Errorf("rehearsals = %v, want the applied plan's hash once", w.rehearsals)
	}
	if len(w.staged) != 2 || w.staged[0] != a.plan.Hash {
		t.Errorf("staged %d plans, want the patch plan then the update plan", len(w.staged))
	}
	if w.installed["mail"].String() != "2.0.0" || w.installed["arp"].String() != "1.4.0.1" {
		t.Errorf("installed = %v", w.installed)
	}

	// One event per news; one warning for the outage and one when it is over.
	ev := s.eventsByKind()
	for kind, want := range map[string]int{store.EventPatches: 1, store.EventUpdates: 1, store.EventUnreachable: 1,
		store.EventReachable: 1, store.EventApplied: 1, store.EventStaged: 2, store.EventNothingNew: 2,
		store.EventProblem: 0, store.EventRehearsalFailed: 0} {
		if len(ev[kind]) != want {
			t.Errorf("%d %s events (%v), want %d", len(ev[kind]), kind, ev[kind], want)
		}
	}
	// The webhook got every notifiable event exactly once, and nothing else.
	got, bad := s.hook.counts()
	if len(bad) > 0 {
		t.Errorf("the webhook refused requests: %v", bad)
	}
	for _, kind := range []string{store.EventPatches, store.EventUpdates, store.EventUnreachable, store.EventReachable, store.EventApplied} {
		if key := ev[kind][0]; got[key] != 1 {
			t.Errorf("webhook got %s %d times, want once", key, got[key])
		}
	}
	if len(got) != 5 {
		t.Errorf("webhook got %v, want the 5 notifiable events only", got)
	}
	st := s.sched.Status()
	if st.Failures != 0 || st.LastError != "" || !st.NextScan.After(st.LastScan) {
		t.Errorf("status = %+v", st)
	}
}

// A failed rehearsal stops the silent apply, once: the next window does not
// try the same plan again.
func TestRunRehearsalFailureIsNotRetried(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, paris(t)) // a Monday
	spec := schedule.Spec{Every: 6 * time.Hour, Jitter: 10 * time.Minute, Windows: mustWindows(t, "Sat 02:00-04:00"),
		Policy: schedule.Policy{Patches: schedule.Apply, RequireRehearsal: true}}
	s := newSim(t, start, spec, map[string]string{"arp": "1.4.0"})
	s.world.publish(start, "arp", "1.4.0.1", catalog.KindPatch)
	s.world.rehearsalFails = true
	s.runUntil(start.Add(14 * 24 * time.Hour))
	if len(s.world.applies) != 0 || len(s.world.rehearsals) != 1 {
		t.Fatalf("applies %d, rehearsals %d; want none applied, one rehearsal", len(s.world.applies), len(s.world.rehearsals))
	}
	ev := s.eventsByKind()
	if len(ev[store.EventRehearsalFailed]) != 1 {
		t.Fatalf("events = %v", ev)
	}
	if got, _ := s.hook.counts(); got[ev[store.EventRehearsalFailed][0]] != 1 {
		t.Fatalf("the rehearsal failure was sent %d times", got[ev[store.EventRehearsalFailed][0]])
	}
}

// A rehearsal that outlasts the window leaves the apply to the next window,
// without rehearsing again.
func TestRunRehearsalOutlastingTheWindow(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, paris(t))
	spec := schedule.Spec{Every: 6 * time.Hour, Jitter: 10 * time.Minute, Windows: mustWindows(t, "Sat 02:00-02:30"),
		Policy: schedule.Policy{Patches: schedule.Apply, RequireRehearsal: true}}
	s := newSim(t, start, spec, map[string]string{"arp": "1.4.0"})
	s.world.publish(start, "arp", "1.4.0.1", catalog.KindPatch)
	s.world.rehearsalTakes = time.Hour
	s.runUntil(start.Add(14 * 24 * time.Hour))
	w := s.world
	if len(w.rehearsals) != 1 || len(w.applies) != 1 {
		t.Fatalf("rehearsals %d, applies %d; want one each", len(w.rehearsals), len(w.applies))
	}
	if at := w.applies[0].at; !spec.Windows.Contains(at) || at.Day() != 13 {
		t.Fatalf("applied at %s, want in the second Saturday's window", at)
	}
}

// An apply that fails and restores is reported once and not tried again.
func TestRunFailedApplyIsNotRetried(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, paris(t))
	spec := schedule.Spec{Every: 6 * time.Hour, Jitter: 10 * time.Minute, Windows: mustWindows(t, "Sat 02:00-04:00", "Sun 02:00-04:00"),
		Policy: schedule.Policy{Patches: schedule.Apply}}
	s := newSim(t, start, spec, map[string]string{"arp": "1.4.0"})
	s.world.publish(start, "arp", "1.4.0.1", catalog.KindPatch)
	s.world.applyFails = true
	s.runUntil(start.Add(14 * 24 * time.Hour))
	if len(s.world.applies) != 1 {
		t.Fatalf("%d applies, want 1", len(s.world.applies))
	}
	ev := s.eventsByKind()
	if len(ev[store.EventFailedRestored]) != 1 || len(ev[store.EventApplied]) != 0 {
		t.Fatalf("events = %v", ev)
	}
	all, _ := s.events.Latest(context.Background(), 100)
	for _, e := range all {
		if e.Kind == store.EventFailedRestored && (e.Level != store.LevelWarning || !strings.Contains(e.Body, "post script arp/post.py exited 1")) {
			t.Fatalf("failed event = %+v", e)
		}
	}
}

// An apply that stops before the ERP is touched says nothing changed, not
// that the instance was restored.
func TestRunApplyStoppedBeforeTheERPSaysNothingChanged(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, paris(t))
	spec := schedule.Spec{Every: 6 * time.Hour, Jitter: 10 * time.Minute, Windows: mustWindows(t, "Sat 02:00-04:00", "Sun 02:00-04:00"),
		Policy: schedule.Policy{Patches: schedule.Apply}}
	s := newSim(t, start, spec, map[string]string{"arp": "1.4.0"})
	s.world.publish(start, "arp", "1.4.0.1", catalog.KindPatch)
	s.world.applyUntouched = true
	s.runUntil(start.Add(14 * 24 * time.Hour))
	if len(s.world.applies) != 1 {
		t.Fatalf("%d applies, want 1 (not retried)", len(s.world.applies))
	}
	all, _ := s.events.Latest(context.Background(), 100)
	var found bool
	for _, e := range all {
		if e.Kind != store.EventFailedRestored {
			continue
		}
		found = true
		if !strings.Contains(e.Title, "nothing changed") || strings.Contains(e.Title+e.Body, "restored") || !strings.Contains(e.Body, "403") {
			t.Errorf("event = %q\n%s\nwant nothing changed, never restored, with the error", e.Title, e.Body)
		}
	}
	if !found {
		t.Fatal("no event for the failed apply")
	}
}

// Events that could not be sent are sent once the webhook is back, once.
func TestRunSendsAfterWebhookOutage(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := newSim(t, start, schedule.Spec{Every: 6 * time.Hour, Jitter: time.Minute}, map[string]string{"arp": "1.4.0"})
	s.world.publish(start, "arp", "1.4.0.1", catalog.KindPatch)
	s.hook.down = func() bool { return s.clock.Now().Before(start.Add(20 * time.Hour)) }
	s.runUntil(start.Add(20 * time.Hour))
	if got, _ := s.hook.counts(); len(got) != 0 {
		t.Fatalf("delivered during the outage: %v", got)
	}
	s.runUntil(start.Add(48 * time.Hour))
	got, _ := s.hook.counts()
	if len(got) != 1 || got["patches:arp@1.4.0.1"] != 1 {
		t.Fatalf("delivered %v, want the patch news once", got)
	}
	all, _ := s.events.Latest(context.Background(), 10)
	for _, e := range all {
		if e.Kind == store.EventPatches && (e.SentAt == "" || e.Attempts < 2 || e.SendError != "") {
			t.Fatalf("patch event after the outage: %+v", e)
		}
	}
}

// A cron schedule scans at its local times across a DST change, within the
// jitter.
func TestRunCronAcrossDST(t *testing.T) {
	loc := paris(t)
	start := time.Date(2026, 3, 26, 12, 0, 0, 0, loc)
	spec := schedule.Spec{Cron: "0 3 * * *", Jitter: 10 * time.Minute}
	s := newSim(t, start, spec, map[string]string{"arp": "1.4.0"})
	s.runUntil(start.Add(6 * 24 * time.Hour))
	scans := s.world.scans
	if len(scans) != 7 || scans[0].Sub(start) >= spec.Jitter {
		t.Fatalf("scans = %v, want one at start and six at 03:00", scans)
	}
	for _, x := range scans[1:] {
		l := x.In(loc)
		if l.Hour() != 3 || l.Minute() >= 10 {
			t.Errorf("scan at %s, want 03:00-03:10 local", l)
		}
	}
}

// ScanNow scans at once; the regular schedule goes on.
func TestScanNow(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := newSim(t, start, schedule.Spec{Every: time.Hour}, map[string]string{"arp": "1.4.0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.sched.Run(ctx) }()
	step := func() {
		if err := s.clock.WaitTimers(1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	step() // the scan at start (no jitter) is done, the next one is due in an hour
	if s.scanCount() != 1 {
		t.Fatalf("%d scans at start, want 1", s.scanCount())
	}
	s.clock.Advance(10 * time.Minute)
	s.sched.ScanNow()
	testwait.Until(10*time.Second, func() bool { return s.scanCount() >= 2 })
	step()
	if next, _ := s.clock.NextTimer(); !next.Equal(start.Add(time.Hour)) {
		t.Errorf("after ScanNow the next scan is at %s, want the regular %s", next, start.Add(time.Hour))
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if n := s.scanCount(); n != 2 {
		t.Fatalf("%d scans, want 2", n)
	}
}

func (s *sim) scanCount() int {
	s.world.mu.Lock()
	defer s.world.mu.Unlock()
	return len(s.world.scans)
}

func TestNewRefusesSilentUpdates(t *testing.T) {
	clock := clocktest.New(time.Now())
	for _, spec := range []schedule.Spec{
		{Every: time.Hour, Policy: schedule.Policy{Updates: schedule.Apply}},
		{Every: time.Hour, Policy: schedule.Policy{Upgrades: schedule.Apply}},
		{Every: time.Hour, Policy: schedule.Policy{Patches: schedule.Apply}}, // no window
		{Every: time.Hour, Jitter: time.Hour},
		{Every: time.Hour, Cron: "@daily"},
		{Cron: "61 * * * *"},
		{Every: time.Second},
	} {
		if _, err := schedule.New(spec, nil, nil, schedule.Options{Clock: clock}); err == nil {
			t.Errorf("New(%+v) was accepted", spec)
		}
	}
	_, err := schedule.New(schedule.Spec{Every: time.Hour, Policy: schedule.Policy{Updates: schedule.Apply}}, nil, nil, schedule.Options{})
	if !errors.Is(err, schedule.ErrOnlyPatches) {
		t.Errorf("error = %v, want ErrOnlyPatches", err)
	}
}
