package daemon

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// TestTrimFootprintSetsAndRestoresKnobs: the agent's knobs hold while it
// runs and the previous ones come back when it stops.
func TestTrimFootprintSetsAndRestoresKnobs(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	defer debug.SetGCPercent(gc)
	ctx, stop := context.WithCancel(context.Background())
	done := trimFootprint(ctx)
	if got := debug.SetGCPercent(idleGCPercent); got != idleGCPercent {
		t.Errorf("GC percent while the agent runs = %d, want %d", got, idleGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != memoryLimit {
		t.Errorf("memory limit while the agent runs = %d, want %d", got, memoryLimit)
	}
	stop()
	<-done
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent after the agent stopped = %d, want 100 back", got)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit after the agent stopped = %d, want %d back", got, limit)
	}
}

// TestReleaseIdleFreesAfterWork: a tick after a burst of allocation
// returns the free heap to the operating system (a forced collection).
func TestReleaseIdleFreesAfterWork(t *testing.T) {
	ticks := make(chan time.Time)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { releaseIdle(ctx, ticks); close(done) }()
	defer func() { stop(); <-done }()
	ticks <- time.Now() // the first release: everything allocated since the start
	ticks <- time.Now() // taken once the first is handled
	before := forcedGCs()
	for range 64 {
		garbage = make([]byte, 64<<10)
	}
	ticks <- time.Now()
	ticks <- time.Now()
	if got := forcedGCs(); got <= before {
		t.Fatalf("forced collections %d after a tick following 4 MiB of allocation, want more than %d", got, before)
	}
}

var garbage []byte

func forcedGCs() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
