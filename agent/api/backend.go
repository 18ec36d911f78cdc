package api

import "context"

// Backend does what the routes ask; the server has already checked who may
// ask. One method per route. Errors of this package's types (NotFoundError,
// ConflictError, BadRequestError, NotAvailableError, AccessDeniedError)
// reach the client as such; any other error is a 500 with its message.
type Backend interface {
	// Status is GET /v1/status (the server fills in Caller).
	Status(ctx context.Context) (*Status, error)
	// Report is GET /v1/report: the last saved scan (NotFoundError when none).
	Report(ctx context.Context) (*SavedReport, error)
	// Scan is POST /v1/scan: scan now, save and return the report.
	Scan(ctx context.Context, req ScanRequest, by Caller) (*SavedReport, error)
	// Plan is GET /v1/plan: scan (without saving the report) and plan with
	// these choices, with an estimate of the time from this host's runs;
	// BadRequestError naming the modules of req.Modules the plan does not
	// change.
	Plan(ctx context.Context, req PlanRequest) (*Plan, error)
	// Apply is POST /v1/apply: start applying the plan whose hash the caller
	// saw and return at once; ConflictError (with RunID) when another apply
	// or rehearsal runs or the plan changed. The run goes on when the
	// caller disconnects.
	Apply(ctx context.Context, req RunRequest, by Caller) (*Run, error)
	// Rehearse is POST /v1/rehearse: the same on a throwaway copy.
	Rehearse(ctx context.Context, req RunRequest, by Caller) (*Run, error)
	// Runs is GET /v1/runs: the latest runs, newest first.
	Runs(ctx context.Context, limit int) ([]Run, error)
	// Run is GET /v1/runs/{id}.
	Run(ctx context.Context, id string) (*Run, error)
	// RunEvents is GET /v1/runs/{id}/events: send every event after since,
	// then each new one as it happens, and return nil once the run has
	// ended (or ctx's error when the caller went away). An error returned
	// before the first send becomes the HTTP status.
	RunEvents(ctx context.Context, id string, since int64, send func(RunEvent) error) error
	// Cancel is POST /v1/runs/{id}/cancel: stop a run that has not passed
	// its point of no return (ConflictError when it has).
	Cancel(ctx context.Context, id string, by Caller) (*Run, error)
	// Events is GET /v1/events: the history after q.Since, oldest first.
	Events(ctx context.Context, q EventQuery) ([]Event, error)
	// FollowEvents is GET /v1/events/stream: send the events after since,
	// then each new one, until ctx ends.
	FollowEvents(ctx context.Context, since int64, send func(Event) error) error
	// Overrides is GET /v1/overrides.
	Overrides(ctx context.Context) (*Overrides, error)
	// SetOverrides is PUT /v1/overrides: check every change, make them,
	// return the result.
	SetOverrides(ctx context.Context, ch OverridesChange, by Caller) (*Overrides, error)
	// Holds is GET /v1/holds.
	Holds(ctx context.Context) ([]Hold, error)
	// SetHolds is PUT /v1/holds: check every change, make them, return the holds.
	SetHolds(ctx context.Context, ch HoldsChange, by Caller) ([]Hold, error)
	// ModuleState is POST /v1/module-state: plan disabling or enabling
	// modules (BadRequestError naming unknown names, or the dependents when
	// they are not included) and, with the plan's hash, start it as a run
	// journaled and backed up like an apply.
	ModuleState(ctx context.Context, req ModuleStateRequest, by Caller) (*ModuleStateAnswer, error)
	// Installed is GET /v1/installed.
	Installed(ctx context.Context) ([]InstalledModule, error)
	// Settings is GET /v1/settings.
	Settings(ctx context.Context) (*Settings, error)
	// SetSettings is PUT /v1/settings: validate the new file (BadRequestError
	// naming the key), refuse a stale revision (ConflictError), save it and
	// use it as Reload does.
	SetSettings(ctx context.Context, up SettingsUpdate, by Caller) (*Settings, error)
	// Reload is POST /v1/reload: read the configuration file again, check
	// it as at start and use it (BadRequestError naming the key, and the
	// old configuration kept, when it is not valid).
	Reload(ctx context.Context, by Caller) (*Reloaded, error)
}
