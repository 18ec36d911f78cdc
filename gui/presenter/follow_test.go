package presenter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
)

// following runs a monitor that follows a's events; its waits end only
// when it is asked to poll (an event, Refresh) and report how long it
// meant to wait, so a timer poll would show as a wait of Poll.
type following struct {
	m     *presenter.Monitor
	waits chan time.Duration
	news  chan presenter.Notification
	done  chan error
}

func follow(t *testing.T, a *presentertest.Agent) *following {
	t.Helper()
	f := &following{waits: make(chan time.Duration, 16), news: make(chan presenter.Notification, 16), done: make(chan error, 1)}
	f.m = &presenter.Monitor{Client: a, Follow: true, Poll: time.Second, Busy: time.Millisecond, Slow: time.Hour,
		OnNotify: func(n presenter.Notification) { f.news <- n },
		Wait: func(ctx context.Context, d time.Duration, refresh <-chan struct{}) error {
			f.waits <- d
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-refresh:
				return nil
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { f.done <- f.m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-f.done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	})
	return f
}

func (f *following) wait(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-f.waits:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the monitor never waited again")
	}
	return 0
}

func statusReads(a *presentertest.Agent) int {
	return strings.Count(strings.Join(a.Called(), "\n"), "Status")
}

func TestFollowingMonitorReadsTheAgentOnlyWhenAnEventComes(t *testing.T) {
	a := presentertest.NewDemo()
	f := follow(t, a)
	if d := f.wait(t); d != time.Hour {
		t.Fatalf("idle and following: waits %v, want Slow (1h), not a poll", d)
	}
	a.Emit(api.Event{ID: 1, At: time.Now(), Kind: "failed-restored", Summary: "apply 3 failed; restored", Notify: true})
	select {
	case n := <-f.news:
		if n.Body != "apply 3 failed; restored" {
			t.Errorf("news %+v", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an event on the stream did not make the monitor read the agent")
	}
	if d := f.wait(t); d != time.Hour {
		t.Errorf("after the event: waits %v, want 1h", d)
	}
	if n := statusReads(a); n != 2 {
		t.Errorf("%d status reads, want 2 (start, the event)", n)
	}
	if !strings.Contains(strings.Join(a.Called(), "\n"), "WatchEvents 0") {
		t.Errorf("calls %q: the stream was not followed from the last event seen", a.Called())
	}
}

func TestFollowingMonitorPollsDuringARunAndWithoutAStream(t *testing.T) {
	a := presentertest.NewDemo()
	a.Set(func(a *presentertest.Agent) { a.Stat.Running = &api.Run{ID: "9", State: "running"} })
	f := follow(t, a)
	if d := f.wait(t); d != time.Millisecond {
		t.Errorf("during a run: waits %v, want Busy", d)
	}
	b := presentertest.NewDemo()
	b.Unavailable("WatchEvents")
	g := follow(t, b)
	var d time.Duration
	for range 3 { // the first wait may come before the follower heard the refusal (it then wakes the monitor)
		if d = g.wait(t); d == time.Second {
			break
		}
	}
	if d != time.Second {
		t.Errorf("an agent without the stream: waits %v, want Poll (1s)", d)
	}
}
