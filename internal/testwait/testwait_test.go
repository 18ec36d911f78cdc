package testwait

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatalf records the message (and, unlike
// the real one, returns).
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
}

func TestWaitForReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	go func() { time.Sleep(20 * time.Millisecond); n.Store(1) }()
	WaitFor(t, time.Minute, func() bool { return n.Load() == 1 })
	calls := 0
	WaitFor(t, time.Minute, func() bool { calls++; return true })
	if calls != 1 {
		t.Errorf("a condition true at once was polled %d times, want 1", calls)
	}
}

func TestWaitForFailsAfterTheTimeout(t *testing.T) {
	r := &recorder{TB: t}
	start := time.Now()
	calls := 0
	WaitFor(r, 30*time.Millisecond, func() bool { calls++; return false })
	if elapsed := time.Since(start); elapsed < 30*time.Millisecond {
		t.Errorf("WaitFor gave up after %v, before its 30ms timeout", elapsed)
	}
	if !strings.Contains(r.msg, "did not hold within 30ms") {
		t.Errorf("failure message %q, want it to name the timeout", r.msg)
	}
	if calls < 2 {
		t.Errorf("cond polled %d times in 30ms, want several", calls)
	}
}

func TestUntil(t *testing.T) {
	if Until(10*time.Millisecond, func() bool { return false }) {
		t.Error("Until(never) = true")
	}
	polls := 0
	if !Until(time.Minute, func() bool { polls++; return polls == 4 }) || polls != 4 {
		t.Errorf("Until(fourth poll) stopped after %d polls", polls)
	}
}
