package daemon

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The long-running agent (`upkeep run`) idles between scans, so it trades
// a little collection work for a small resident set. One-shot commands
// keep the runtime's defaults.
const (
	// idleGCPercent collects once the heap grew by half of what the last
	// collection left live (GOGC=50): the agent's live heap is a few MiB,
	// so collections stay cheap, and the heap's floor drops from 4 to 2 MiB.
	idleGCPercent = 50
	// memoryLimit is a soft cap on the Go runtime's memory: far above
	// what the agent needs, it only makes the collector work harder
	// before the agent grows past it.
	memoryLimit = 64 << 20
	// releaseEvery is how often the agent looks at whether it worked (a
	// scan, an apply, API calls) since it last returned its free memory
	// to the operating system; releaseAfter is how much it must have
	// allocated meanwhile.
	releaseEvery = time.Minute
	releaseAfter = 256 << 10
)

// trimFootprint sets the knobs the environment (GOGC, GOMEMLIMIT) leaves
// unset and, until ctx ends, returns free memory to the operating system
// after each burst of work; it then puts the previous settings back and
// closes the channel it returns.
func trimFootprint(ctx context.Context) <-chan struct{} {
	gc, limit := debug.SetGCPercent(idleGCPercent), debug.SetMemoryLimit(-1) // a negative limit only reads it
	if os.Getenv("GOGC") != "" {
		debug.SetGCPercent(gc)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(releaseEvery)
		defer t.Stop()
		releaseIdle(ctx, t.C)
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	}()
	return done
}

// releaseIdle returns the free heap to the operating system at every tick
// after which the agent allocated more than releaseAfter, until ctx ends:
// the runtime's own scavenger would keep it for minutes.
func releaseIdle(ctx context.Context, ticks <-chan time.Time) {
	allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	released := uint64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		metrics.Read(allocs)
		if allocs[0].Value.Uint64()-released > releaseAfter {
			debug.FreeOSMemory()
			metrics.Read(allocs)
			released = allocs[0].Value.Uint64()
		}
	}
}
