package clocktest

import (
	"errors"
	"testing"
	"time"
)

func TestFakeClock(t *testing.T) {
	start := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	f := New(start)
	a, b, c := f.NewTimer(2*time.Hour), f.NewTimer(time.Hour), f.NewTimer(3*time.Hour)
	if now := <-f.NewTimer(0).C(); !now.Equal(start) {
		t.Fatalf("a zero timer fired at %s", now)
	}
	if f.Pending() != 3 || !c.Stop() || c.Stop() || f.Pending() != 2 {
		t.Fatal("Stop does not remove the timer once")
	}
	if next, ok := f.NextTimer(); !ok || !next.Equal(start.Add(time.Hour)) {
		t.Fatalf("NextTimer = %s, %v", next, ok)
	}
	if now, ok := f.AdvanceToNext(); !ok || !now.Equal(start.Add(time.Hour)) || !(<-b.C()).Equal(now) {
		t.Fatalf("AdvanceToNext = %s, %v", now, ok)
	}
	select {
	case <-a.C():
		t.Fatal("a timer fired early")
	default:
	}
	f.Advance(5 * time.Hour)
	if got := <-a.C(); !got.Equal(start.Add(6*time.Hour)) || f.Pending() != 0 {
		t.Fatalf("after Advance: fired at %s, %d pending", got, f.Pending())
	}
	f.Set(start) // never backwards
	if !f.Now().Equal(start.Add(6 * time.Hour)) {
		t.Fatal("Set moved the clock back")
	}
	if _, ok := f.AdvanceToNext(); ok {
		t.Fatal("AdvanceToNext with no timers")
	}
	if err := f.WaitTimers(1, 10*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("WaitTimers = %v", err)
	}
	go f.NewTimer(time.Minute)
	if err := f.WaitTimers(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}
