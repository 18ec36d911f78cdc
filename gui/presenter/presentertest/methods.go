package presentertest

import (
	"context"
	"slices"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Status implements presenter.Reader.
func (a *Agent) Status(context.Context) (*api.Status, error) {
	if err := a.call("Status"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.Stat
	return &st, nil
}

// Report implements presenter.Reader.
func (a *Agent) Report(context.Context) (*api.SavedReport, error) {
	if err := a.call("Report"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.Saved == nil {
		return nil, &api.NotFoundError{Message: "no scan has been saved yet"}
	}
	return a.Saved, nil
}

// Runs implements presenter.Reader.
func (a *Agent) Runs(_ context.Context, limit int) ([]api.Run, error) {
	if err := a.call("Runs", limit); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.RunList), nil
}

// Events implements presenter.Reader.
func (a *Agent) Events(_ context.Context, q api.EventQuery) ([]api.Event, error) {
	if err := a.call("Events", q.Since); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []api.Event
	for _, ev := range a.EventList {
		if ev.ID > q.Since {
			out = append(out, ev)
		}
	}
	return out, nil
}

// Scan implements presenter.Runner.
func (a *Agent) Scan(_ context.Context, req api.ScanRequest) (*api.SavedReport, error) {
	if err := a.call("Scan", req.Install, req.IncludeUpgrades); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Saved, nil
}

// Plan implements presenter.Runner; a request with no plan in Plans is a
// BadRequestError.
func (a *Agent) Plan(_ context.Context, req api.PlanRequest) (*api.Plan, error) {
	if err := a.call("Plan", PlanKey(req)); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.Plans[PlanKey(req)]
	if !ok {
		return nil, &api.BadRequestError{Message: "no plan for " + PlanKey(req)}
	}
	return p, nil
}

// Apply implements presenter.Runner: it starts Started.
func (a *Agent) Apply(_ context.Context, req api.RunRequest) (*api.Run, error) {
	return a.start("Apply", req)
}

// Rehearse implements presenter.Runner: it starts Started as a rehearsal.
func (a *Agent) Rehearse(_ context.Context, req api.RunRequest) (*api.Run, error) {
	return a.start("Rehearse", req)
}

func (a *Agent) start(method string, req api.RunRequest) (*api.Run, error) {
	if err := a.call(method, req.PlanHash, PlanKey(req.Plan)); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	run := a.Started
	run.PlanHash = req.PlanHash
	if method == "Rehearse" {
		run.Kind = "rehearse"
	}
	a.Stat.Running = &run
	return &run, nil
}

// Run implements presenter.Runner.
func (a *Agent) Run(_ context.Context, id string) (*api.Run, error) {
	if err := a.call("Run", id); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.RunList {
		if r.ID == id {
			return &r, nil
		}
	}
	if a.Stat.Running != nil && a.Stat.Running.ID == id {
		r := *a.Stat.Running
		return &r, nil
	}
	return nil, &api.NotFoundError{Message: "no run " + id}
}

// Cancel implements presenter.Runner.
func (a *Agent) Cancel(_ context.Context, id string) (*api.Run, error) {
	if err := a.call("Cancel", id); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.Started
	r.ID, r.State = id, "cancelling"
	return &r, nil
}

// WatchRun implements presenter.Runner: it sends RunEvents[id] after since
// and returns.
func (a *Agent) WatchRun(_ context.Context, id string, since int64, fn func(api.RunEvent) error) error {
	if err := a.call("WatchRun", id, since); err != nil {
		return err
	}
	a.mu.Lock()
	evs := slices.Clone(a.RunEvents[id])
	a.mu.Unlock()
	for _, ev := range evs {
		if ev.Seq > since {
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// Installed implements presenter.Modules.
func (a *Agent) Installed(context.Context) ([]api.InstalledModule, error) {
	if err := a.call("Installed"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.Mods), nil
}

// Holds implements presenter.Modules.
func (a *Agent) Holds(context.Context) ([]api.Hold, error) {
	if err := a.call("Holds"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.HoldList), nil
}

// SetHolds implements presenter.Modules.
func (a *Agent) SetHolds(_ context.Context, ch api.HoldsChange) ([]api.Hold, error) {
	var names []string
	for _, h := range ch.Hold {
		names = append(names, "+"+h.Module)
	}
	for _, m := range ch.Unhold {
		names = append(names, "-"+m)
	}
	if err := a.call("SetHolds", names); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.HoldList = slices.DeleteFunc(a.HoldList, func(h api.Hold) bool { return slices.Contains(ch.Unhold, h.Module) })
	a.HoldList = append(a.HoldList, ch.Hold...)
	return slices.Clone(a.HoldList), nil
}

// Overrides implements presenter.Modules.
func (a *Agent) Overrides(context.Context) (*api.Overrides, error) {
	if err := a.call("Overrides"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ov := a.Over
	return &ov, nil
}

// SetOverrides implements presenter.Modules.
func (a *Agent) SetOverrides(_ context.Context, ch api.OverridesChange) (*api.Overrides, error) {
	if err := a.call("SetOverrides", ch.DefaultUpgrade); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for m, v := range ch.DefaultUpgrade {
		if v == "inherit" {
			delete(a.Over.DefaultUpgrade, m)
		} else {
			a.Over.DefaultUpgrade[m] = v
		}
	}
	ov := a.Over
	return &ov, nil
}

// Settings implements presenter.Configurer.
func (a *Agent) Settings(context.Context) (*api.Settings, error) {
	if err := a.call("Settings"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.Conf
	return &s, nil
}

// SetSettings implements presenter.Configurer: a stale revision is a
// ConflictError, as the agent answers.
func (a *Agent) SetSettings(_ context.Context, up api.SettingsUpdate) (*api.Settings, error) {
	if err := a.call("SetSettings", up.Revision); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if up.Revision != a.Conf.Revision {
		return nil, &api.ConflictError{Message: "the configuration changed meanwhile: reload it and make the change again"}
	}
	a.Conf.TOML, a.Conf.Revision = up.TOML, a.Conf.Revision+"+"
	s := a.Conf
	return &s, nil
}
