// Package testwait polls a condition in tests until it holds or a deadline passes.
package testwait

import (
	"testing"
	"time"
)

// maxPause caps the pause between two polls.
const maxPause = 100 * time.Millisecond

// WaitFor polls cond, pausing a little longer each time (up to 100 ms),
// until it returns true, and fails t if timeout passes first. The timeout
// is an upper bound for a loaded machine, never a synchronisation: WaitFor
// returns as soon as cond holds. cond runs on the caller's goroutine.
func WaitFor(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !Until(timeout, cond) {
		t.Fatalf("testwait: the condition did not hold within %v", timeout)
	}
}

// Until polls cond like WaitFor and reports whether it held before
// timeout, for a caller that says itself what was awaited.
func Until(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for !cond() {
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(min(pause, time.Until(deadline)))
		pause = min(2*pause, maxPause)
	}
	return true
}
