package presentertest

import (
	"context"
	"errors"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

var _ presenter.Follower = (*Agent)(nil)

// WatchEvents implements presenter.Follower: the events of EventList after
// since, then each one Emit adds, until ctx ends.
func (a *Agent) WatchEvents(ctx context.Context, since int64, fn func(api.Event) error) error {
	if err := a.call("WatchEvents", since); err != nil {
		return err
	}
	for {
		a.mu.Lock()
		var evs []api.Event
		for _, ev := range a.EventList {
			if ev.ID > since {
				evs = append(evs, ev)
			}
		}
		if a.woken == nil {
			a.woken = make(chan struct{})
		}
		wake := a.woken
		a.mu.Unlock()
		for _, ev := range evs {
			since = ev.ID
			if err := fn(ev); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
		a.mu.Lock()
		err := a.broken
		a.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// Break makes the agent go away: the event streams end with an
// UnreachableError and Status fails with it until Fail("Status", nil).
func (a *Agent) Break() {
	err := &api.UnreachableError{Path: "/run/upkeep/upkeep.sock", Err: errors.New("connection reset by peer")}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.broken = err
	a.Errs["Status"] = err
	a.Errs["WatchEvents"] = err
	if a.woken != nil {
		close(a.woken)
		a.woken = nil
	}
}

// Emit adds ev to the agent's history and hands it to the watchers.
func (a *Agent) Emit(ev api.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.EventList = append(a.EventList, ev)
	if a.woken != nil {
		close(a.woken)
		a.woken = nil
	}
}
