package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// The names of the runner's steps that bound the downtime: the stop of the
// ERP's server, and the health checks that end it (after the update, or
// after a restore: "restore: health checks").
const (
	stopStep   = "stop the ERP server"
	healthStep = "health checks"
	backupStep = "backup the database"
)

// follower turns a run's events from the agent into the progress the
// standalone runner shows, and keeps them for the result.
type follower struct {
	p       *progress // nil: keep the events, show nothing
	steps   int       // the plan's step count (m of "[n/m]"); 0: unknown
	started time.Time
	n       int // the number of the step in progress: events carry names, the steps are counted
	events  []api.RunEvent
	own     bool // the command started the run: Ctrl-C stops it in this process
}

// event shows one event as the runner's apply.Event would be.
func (f *follower) event(e api.RunEvent) error {
	f.events = append(f.events, e)
	if e.Status == "started" {
		f.n++
	}
	if f.p == nil {
		return nil
	}
	ev := apply.Event{Step: f.n, Steps: f.steps, Name: e.Step, Elapsed: e.At.Sub(f.started), Line: e.Message,
		Took: time.Duration(e.Elapsed * float64(time.Second))}
	switch e.Status {
	case "started":
		ev.Phase = apply.PhaseStart
	case "done":
		ev.Phase = apply.PhaseDone
	case "failed":
		ev.Phase = apply.PhaseFailed
	default:
		ev.Phase, ev.Line = logPhase(e.Message)
	}
	f.p.event(ev)
	return nil
}

// logPhase tells a warning or a recovery's outcome (which the agent sends
// as log lines "warning: …", "recovered: …") from a step's output.
func logPhase(line string) (phase, rest string) {
	for _, p := range []string{apply.PhaseWarning, apply.PhaseRecovered} {
		if r, ok := strings.CutPrefix(line, p+": "); ok {
			return p, r
		}
	}
	return apply.PhaseOutput, line
}

// follow shows run's events as they happen until the run ends, then
// returns the run as it ended. When ctx ends first (Ctrl-C), a run of the
// running agent goes on there, and the error says so and how to follow
// it; a run this command started in its own process is cancelled while
// the ERP is untouched, else followed to its end (stopping mid-way could
// leave the ERP half updated).
func follow(ctx context.Context, link agentLink, run *api.Run, f *follower) (*api.Run, error) {
	f.started = run.Started
	err := link.cl.WatchRun(ctx, run.ID, 0, f.event)
	var ue *api.UnreachableError
	switch {
	case ctx.Err() != nil && link.local != nil && f.own:
		return stopHere(link.cl, run, f)
	case ctx.Err() != nil:
		return nil, withCode(ExitError, fmt.Errorf("interrupted: this command stopped following %s %s; the run goes on in the agent "+
			"(it ends updated and healthy, or restores the instance as before). Follow it with upkeep history %s, or upkeep status; "+
			"upkeep cancel %s stops it while the ERP is not yet touched",
			run.Kind, run.ID, run.ID, run.ID))
	case errors.As(err, &ue):
		return nil, withCode(ExitError, fmt.Errorf("lost the agent while following %s %s: %w. A run the agent left unfinished is finished "+
			"at its next start; upkeep status and upkeep history %s say how it ended", run.Kind, run.ID, err, run.ID))
	case err != nil:
		return nil, err
	}
	return link.cl.Run(ctx, run.ID)
}

// stopHere stops a run of this process at Ctrl-C: cancelled before its
// point of no return, else followed to its end.
func stopHere(cl *api.Client, run *api.Run, f *follower) (*api.Run, error) {
	ctx := context.Background()
	if _, err := cl.Cancel(ctx, run.ID); err != nil {
		if f.p != nil {
			f.p.print(fmt.Sprintf("interrupted, but %v; waiting for the run to end", err))
		}
		if err := cl.WatchRun(ctx, run.ID, f.lastSeq(), f.event); err != nil {
			return nil, err
		}
	}
	return cl.Run(ctx, run.ID)
}

// lastSeq is the number of the last event seen.
func (f *follower) lastSeq() int64 {
	if len(f.events) == 0 {
		return 0
	}
	return f.events[len(f.events)-1].Seq
}

// warnings are the warnings among the events.
func (f *follower) warnings() []string {
	var out []string
	for _, e := range f.events {
		if phase, w := logPhase(e.Message); e.Status == "log" && phase == apply.PhaseWarning {
			out = append(out, w)
		}
	}
	return out
}

// downtime is from the stop of the ERP's server to the last health
// checks passed after it, as the runner measures it.
func (f *follower) downtime() time.Duration {
	var stop, up time.Time
	for _, e := range f.events {
		switch {
		case e.Status == "started" && e.Step == stopStep && stop.IsZero():
			stop = e.At
		case e.Status == "done" && strings.HasSuffix(e.Step, healthStep) && !stop.IsZero():
			up = e.At
		}
	}
	if up.IsZero() {
		return 0
	}
	return up.Sub(stop)
}

// journalSteps are the steps the events show, as the journal keeps them.
func (f *follower) journalSteps() []store.RunStep {
	var out []store.RunStep
	for _, e := range f.events {
		at := e.At.UTC().Format(time.RFC3339Nano)
		if e.Status == "started" {
			out = append(out, store.RunStep{N: len(out) + 1, Name: e.Step, State: store.StepStarted, StartedAt: at})
			continue
		}
		if len(out) == 0 {
			continue
		}
		s := &out[len(out)-1]
		switch e.Status {
		case "done", "failed":
			s.State, s.EndedAt = store.StepDone, at
			if e.Status == "failed" {
				s.State, s.Error = store.StepFailed, e.Message
			}
		default:
			s.Output += e.Message + "\n"
		}
	}
	return out
}

// journalState is an API run state in the journal's words, except for a
// run that ended before the ERP was touched (failed or cancelled): the
// journal calls it failed-restored, but nothing was restored, nothing
// changed, and the command line says so.
func journalState(s string) string {
	if s == api.RunRestored {
		return store.RunFailedRestored
	}
	return s
}

// journalRun is run, with the steps f saw, as the journal keeps it: the
// command line prints runs from the agent and from the state database alike.
func journalRun(run *api.Run, f *follower) *store.Run {
	id, _ := strconv.ParseInt(run.ID, 10, 64)
	out := &store.Run{ID: id, PlanHash: run.PlanHash, Kind: run.Kind, State: journalState(run.State), By: run.By,
		StartedAt: run.Started.UTC().Format(time.RFC3339Nano), Error: run.Error}
	if run.Ended != nil {
		out.EndedAt = run.Ended.UTC().Format(time.RFC3339Nano)
		if run.State != store.RunSucceeded {
			out.FailedStep = run.Step
		}
	}
	if f != nil {
		out.Steps = f.journalSteps()
	}
	return out
}

// result is how an apply through the agent ended, as the runner reports it.
func (f *follower) result(run *api.Run) *apply.Result {
	r := journalRun(run, nil)
	return &apply.Result{Run: r.ID, PlanHash: r.PlanHash, State: r.State, FailedStep: r.FailedStep, Error: r.Error,
		Downtime: f.downtime(), Drift: applyDrift(run.Drift), Warnings: f.warnings()}
}

// rehearsal is how a rehearsal through the agent ended, as the runner
// reports it; on says where it ran.
func (f *follower) rehearsal(run *api.Run, on string) *apply.RehearsalResult {
	res := &apply.RehearsalResult{Result: *f.result(run), Passed: run.State == store.RunSucceeded, On: on}
	for _, s := range f.journalSteps() {
		res.Steps = append(res.Steps, apply.StepTime{N: s.N, Name: s.Name, State: s.State, Took: s.Duration()})
	}
	return res
}

// applyDrift is the agent's drift report as the runner's.
func applyDrift(d *api.Drift) *apply.Drift {
	if d == nil {
		return nil
	}
	out := &apply.Drift{}
	for _, s := range d.Added {
		out.Added = append(out.Added, apply.Setting(s))
	}
	for _, s := range d.Removed {
		out.Removed = append(out.Removed, apply.Setting(s))
	}
	for _, c := range d.Changed {
		out.Changed = append(out.Changed, apply.SettingChange(c))
	}
	return out
}

// runOutcome gives a run that ended its exit code: 8 when its restore
// failed, 6 when preflight found the plan changed, 1 for another failure.
func runOutcome(run *api.Run) error {
	switch run.State {
	case store.RunSucceeded:
		return nil
	case store.RunRestoreFailed:
		return withCode(ExitRestoreFailed, fmt.Errorf("%s %s: %w: %s", run.Kind, run.ID, apply.ErrRestoreFailed, run.Error))
	}
	if run.State == api.RunCancelled {
		return withCode(ExitError, fmt.Errorf("%s %s was cancelled (upkeep cancel, or Cancel in the tray) during step %q, before the ERP was changed: "+
			"nothing changed; upkeep history %s shows its steps", run.Kind, run.ID, run.Step, run.ID))
	}
	err := fmt.Errorf("%s %s ended %s at step %q: %s", run.Kind, run.ID, run.State, run.Step, run.Error)
	if run.State == api.RunFailed {
		err = fmt.Errorf("%s %s failed at step %q, before the ERP was touched: nothing changed, nothing was restored: %s", run.Kind, run.ID, run.Step, run.Error)
	}
	if strings.Contains(run.Error, apply.ErrPlanChanged.Error()) {
		return withCode(ExitPlanChanged, err)
	}
	return withCode(ExitError, err)
}
