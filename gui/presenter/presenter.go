// Package presenter turns what the agent's local API says into what the tray shows and does, with no Fyne import.
package presenter

import (
	"context"
	"errors"
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Reader is what the monitor reads from the agent; *api.Client has it.
type Reader interface {
	Status(ctx context.Context) (*api.Status, error)
	Report(ctx context.Context) (*api.SavedReport, error)
	Runs(ctx context.Context, limit int) ([]api.Run, error)
	Events(ctx context.Context, q api.EventQuery) ([]api.Event, error)
}

// Runner plans, starts, follows and cancels applies and rehearsals.
type Runner interface {
	Scan(ctx context.Context, req api.ScanRequest) (*api.SavedReport, error)
	Plan(ctx context.Context, req api.PlanRequest) (*api.Plan, error)
	Apply(ctx context.Context, req api.RunRequest) (*api.Run, error)
	Rehearse(ctx context.Context, req api.RunRequest) (*api.Run, error)
	Run(ctx context.Context, id string) (*api.Run, error)
	Cancel(ctx context.Context, id string) (*api.Run, error)
	WatchRun(ctx context.Context, id string, since int64, fn func(api.RunEvent) error) error
}

// Modules reads and changes the installed modules' holds and overrides.
type Modules interface {
	Installed(ctx context.Context) ([]api.InstalledModule, error)
	Holds(ctx context.Context) ([]api.Hold, error)
	SetHolds(ctx context.Context, ch api.HoldsChange) ([]api.Hold, error)
	Overrides(ctx context.Context) (*api.Overrides, error)
	SetOverrides(ctx context.Context, ch api.OverridesChange) (*api.Overrides, error)
}

// Configurer reads and saves the agent's configuration file.
type Configurer interface {
	Settings(ctx context.Context) (*api.Settings, error)
	SetSettings(ctx context.Context, up api.SettingsUpdate) (*api.Settings, error)
}

// Agent is everything the tray asks of the agent.
type Agent interface {
	Reader
	Runner
	Modules
	Configurer
}

var _ Agent = (*api.Client)(nil)

// Problem is what kind of failure an answer from the agent was.
type Problem int

// The kinds of failure the tray tells apart.
const (
	NoProblem    Problem = iota
	Unreachable          // no agent answers: say so and reconnect
	Denied               // the caller may not do this (or not connect)
	NotAvailable         // this agent does not offer the feature yet
	NotFound             // nothing there yet (e.g. no scan saved)
	Conflict             // another run, a changed plan, a stale settings revision
	Failed               // anything else
)

// Classify tells what kind of failure err is.
func Classify(err error) Problem {
	var (
		ue *api.UnreachableError
		ad *api.AccessDeniedError
		na *api.NotAvailableError
		nf *api.NotFoundError
		cf *api.ConflictError
	)
	switch {
	case err == nil:
		return NoProblem
	case errors.As(err, &ue):
		return Unreachable
	case errors.As(err, &ad):
		return Denied
	case errors.As(err, &na):
		return NotAvailable
	case errors.As(err, &nf):
		return NotFound
	case errors.As(err, &cf):
		return Conflict
	}
	return Failed
}

// Explain says in one line what went wrong and what to do, for a person.
func Explain(what string, err error) string {
	switch Classify(err) {
	case NoProblem:
		return ""
	case Unreachable:
		return "The Upkeep agent is not answering; the tray reconnects by itself (is the upkeep service running?)"
	case NotAvailable:
		return fmt.Sprintf("%s: this agent does not offer it through the service yet — use the upkeep command on the host, or update upkeep", what)
	}
	return fmt.Sprintf("%s: %v", what, err)
}

// RunningID is the ID of the run a ConflictError names, or "".
func RunningID(err error) string {
	var cf *api.ConflictError
	if errors.As(err, &cf) {
		return cf.RunID
	}
	return ""
}
