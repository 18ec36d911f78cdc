package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
)

// feeding is the real backend with a run and an event history the test
// feeds by hand: the runner that will produce them does not exist yet.
type feeding struct {
	*backend.Backend
	run    chan api.RunEvent // closed when the run ends
	events chan api.Event
}

func (f *feeding) RunEvents(ctx context.Context, id string, since int64, send func(api.RunEvent) error) error {
	if id != "r1" {
		return &api.NotFoundError{Message: "no run " + id}
	}
	for {
		select {
		case ev, ok := <-f.run:
			if !ok {
				return nil
			}
			if ev.Seq <= since {
				continue
			}
			if err := send(ev); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *feeding) FollowEvents(ctx context.Context, since int64, send func(api.Event) error) error {
	for {
		select {
		case ev := <-f.events:
			if err := send(ev); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func newFeeding(t *testing.T, dir string) *feeding {
	return &feeding{Backend: newBackend(t, dir), run: make(chan api.RunEvent), events: make(chan api.Event)}
}

// recv waits for one value, failing the test after a deadline.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing arrived within 10s")
	}
	var zero T
	return zero
}

func TestRunProgressStreamsEventByEvent(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	f := newFeeding(t, dir)
	sock, _ := serve(t, dir, f, api.Options{}, "")
	c := &api.Client{Path: sock}
	got := make(chan api.RunEvent)
	done := make(chan error, 1)
	go func() {
		done <- c.WatchRun(ctx, "r1", 1, func(ev api.RunEvent) error { got <- ev; return nil })
	}()
	f.run <- api.RunEvent{Seq: 1, Step: "preflight", Status: "done"} // before since: skipped
	f.run <- api.RunEvent{Seq: 2, Step: "backup", Status: "started"}
	// The next event is produced only once the client has this one: the
	// server flushed it rather than buffering the stream.
	if ev := recv(t, got); ev.Seq != 2 || ev.Step != "backup" {
		t.Fatalf("first event = %+v, want seq 2 backup", ev)
	}
	f.run <- api.RunEvent{Seq: 3, Step: "backup", Status: "done", Elapsed: 1.5}
	if ev := recv(t, got); ev.Seq != 3 || ev.Elapsed != 1.5 {
		t.Fatalf("second event = %+v", ev)
	}
	close(f.run)
	if err := recv(t, done); err != nil {
		t.Errorf("WatchRun after the run ended: %v, want nil", err)
	}
	if err := c.WatchRun(ctx, "r9", 0, func(api.RunEvent) error { return nil }); kind(err) != "not_found" {
		t.Errorf("unknown run: %v, want not_found", err)
	}
}

func TestShutdownEndsEventStreams(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	f := newFeeding(t, dir)
	sock, srv := serve(t, dir, f, api.Options{}, "")
	c := &api.Client{Path: sock}
	got := make(chan api.Event)
	done := make(chan error, 1)
	go func() { done <- c.WatchEvents(ctx, 0, func(ev api.Event) error { got <- ev; return nil }) }()
	f.events <- api.Event{ID: 7, Kind: "new_patches", Summary: "2 patches"}
	if ev := recv(t, got); ev.ID != 7 {
		t.Fatalf("event = %+v", ev)
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown with an open stream: %v (the stream must end, not hold the server)", err)
	}
	if err := recv(t, done); kind(err) != "unreachable" {
		t.Errorf("the watcher got %v, want unreachable (the agent went away)", err)
	}
}

func TestAStreamOutlivesItsWatcher(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	f := newFeeding(t, dir)
	sock, _ := serve(t, dir, f, api.Options{}, "")
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- (&api.Client{Path: sock}).WatchRun(wctx, "r1", 0, func(api.RunEvent) error { cancel(); return nil })
	}()
	f.run <- api.RunEvent{Seq: 1, Step: "backup"}
	if err := recv(t, done); err != context.Canceled {
		t.Errorf("watcher: %v, want context.Canceled", err)
	}
	// The server notices the watcher left: the run's producer sees its
	// send fail or its context end, and is free for the next watcher.
	go func() {
		done <- (&api.Client{Path: sock}).WatchRun(ctx, "r1", 1, func(api.RunEvent) error { return nil })
	}()
	f.run <- api.RunEvent{Seq: 2, Step: "stop"}
	close(f.run)
	if err := recv(t, done); err != nil {
		t.Errorf("second watcher: %v", err)
	}
}
