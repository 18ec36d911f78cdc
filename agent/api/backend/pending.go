package backend

import (
	"context"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// The routes below wait for the apply runner and the scheduler: each
// answers *api.NotAvailableError until the coordinator wires them.

// Apply is not available yet.
func (b *Backend) Apply(context.Context, api.RunRequest, api.Caller) (*api.Run, error) {
	return nil, &api.NotAvailableError{Feature: "apply through the service"}
}

// Rehearse is not available yet.
func (b *Backend) Rehearse(context.Context, api.RunRequest, api.Caller) (*api.Run, error) {
	return nil, &api.NotAvailableError{Feature: "rehearse through the service"}
}

// Runs is not available yet.
func (b *Backend) Runs(context.Context, int) ([]api.Run, error) {
	return nil, &api.NotAvailableError{Feature: "the run history"}
}

// Run is not available yet.
func (b *Backend) Run(context.Context, string) (*api.Run, error) {
	return nil, &api.NotAvailableError{Feature: "the run history"}
}

// RunEvents is not available yet.
func (b *Backend) RunEvents(context.Context, string, int64, func(api.RunEvent) error) error {
	return &api.NotAvailableError{Feature: "run progress"}
}

// Cancel is not available yet.
func (b *Backend) Cancel(context.Context, string, api.Caller) (*api.Run, error) {
	return nil, &api.NotAvailableError{Feature: "cancelling a run"}
}

// Events is not available yet.
func (b *Backend) Events(context.Context, api.EventQuery) ([]api.Event, error) {
	return nil, &api.NotAvailableError{Feature: "the event history"}
}

// FollowEvents is not available yet.
func (b *Backend) FollowEvents(context.Context, int64, func(api.Event) error) error {
	return &api.NotAvailableError{Feature: "the event stream"}
}
