package schedule_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/notify"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/testwait"
)

// running starts the sim's scheduler in the background; the returned
// function stops it.
func (s *sim) running() func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.sched.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			s.t.Fatalf("Run returned %v, want context.Canceled", err)
		}
	}
}

// waitNext waits until the loop sleeps until want: its one timer and its
// status both say so (a real-time guard against a hung loop, not a sleep).
func (s *sim) waitNext(want time.Time) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		next, ok := s.clock.NextTimer()
		if ok && next.Equal(want) && s.clock.Pending() == 1 && s.sched.Status().NextScan.Equal(want) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the next wake is %s (pending %v, status %s), want %s", next, ok, s.sched.Status().NextScan, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// A reload from every 6h to every 1m (and from notifying to staging, to
// another webhook) makes the next scan come on the new schedule, and acts
// on the new policy and notifier.
func TestReconfigureTakesTheNewScheduleAtOnce(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := newSim(t, start, schedule.Spec{Every: 6 * time.Hour}, map[string]string{"arp": "1.4.0"})
	s.world.publish(start.Add(5*time.Minute), "arp", "1.4.0.1", catalog.KindPatch)
	stop := s.running()
	defer stop()
	s.waitNext(start.Add(6 * time.Hour)) // the scan at start is done

	s.clock.Advance(10 * time.Minute)
	hook2 := newReceiver(t)
	err := s.sched.Reconfigure(schedule.Change{Spec: schedule.Spec{Every: time.Minute, Policy: schedule.Policy{Patches: schedule.Stage}},
		Notifier: &notify.Notifier{Host: "erp1", Webhook: &notify.Webhook{URL: hook2.srv.URL, Secret: hook2.secret, Now: s.clock.Now}}})
	if err != nil {
		t.Fatal(err)
	}
	s.waitNext(start.Add(11 * time.Minute))
	if got := s.sched.Status().Spec; got.Every != time.Minute || got.Policy.Patches != schedule.Stage {
		t.Errorf("status spec = %+v, want every 1m, patches stage", got)
	}
	s.clock.AdvanceToNext()
	s.waitNext(start.Add(12 * time.Minute))

	w := s.world
	w.mu.Lock()
	scans, staged := append([]time.Time(nil), w.scans...), len(w.staged)
	w.mu.Unlock()
	if len(scans) != 2 || !scans[1].Equal(start.Add(11*time.Minute)) {
		t.Errorf("scans at %v, want at start and at +11m", scans)
	}
	if staged != 1 {
		t.Errorf("%d plans staged, want the patch staged under the new policy", staged)
	}
	if got, _ := hook2.counts(); got["patches:arp@1.4.0.1"] != 1 {
		t.Errorf("the new webhook got %v, want the patch news", got)
	}
	if got, _ := s.hook.counts(); len(got) != 0 {
		t.Errorf("the old webhook still got %v", got)
	}
}

// A bad spec is refused with an error naming the key, and the schedule
// goes on as before.
func TestReconfigureRefusesABadSpecAndKeepsTheOld(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := newSim(t, start, schedule.Spec{Every: 6 * time.Hour, Windows: mustWindows(t, "Sat 02:00-04:00")}, map[string]string{"arp": "1.4.0"})
	stop := s.running()
	defer stop()
	s.waitNext(start.Add(6 * time.Hour))
	for _, tc := range []struct {
		spec schedule.Spec
		want string
	}{
		{schedule.Spec{Every: time.Second}, "every"},
		{schedule.Spec{Cron: "61 * * * *"}, "cron"},
		{schedule.Spec{Every: time.Hour, Policy: schedule.Policy{Updates: schedule.Apply}}, "updates"},
		{schedule.Spec{Every: time.Hour, Policy: schedule.Policy{Patches: schedule.Apply}}, "window"},
	} {
		err := s.sched.Reconfigure(schedule.Change{Spec: tc.spec})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Reconfigure(%+v) = %v, want an error naming %s", tc.spec, err, tc.want)
		}
	}
	s.clock.Advance(10 * time.Minute)
	s.waitNext(start.Add(6 * time.Hour))
	if got := s.sched.Status(); got.Spec.Every != 6*time.Hour || got.NextWindow.IsZero() || got.NextWindow.Weekday() != time.Saturday {
		t.Errorf("status = %+v, want the old schedule with its Saturday window", got)
	}
	s.clock.AdvanceToNext()
	s.waitNext(start.Add(12 * time.Hour))
	if n := s.scanCount(); n != 2 {
		t.Errorf("%d scans, want 2 on the old 6-hour schedule", n)
	}
}

// A reload that keeps the timing (only the policy changes) keeps the wake.
func TestReconfigureKeepsTheWakeWhenTheTimingStays(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := newSim(t, start, schedule.Spec{Every: 6 * time.Hour, Jitter: 30 * time.Minute}, map[string]string{"arp": "1.4.0"})
	stop := s.running()
	defer stop()
	if err := s.clock.WaitTimers(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	s.clock.AdvanceToNext() // the first scan, after its jitter
	if err := s.clock.WaitTimers(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	next, _ := s.clock.NextTimer()
	s.waitNext(next)
	err := s.sched.Reconfigure(schedule.Change{Spec: schedule.Spec{Every: 6 * time.Hour, Jitter: 30 * time.Minute, Policy: schedule.Policy{Updates: schedule.Stage}}})
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(10*time.Second, func() bool { return s.sched.Status().Spec.Policy.Updates == schedule.Stage })
	s.waitNext(next)
}
