package views

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// RunScreen shows an apply or rehearsal live: its steps with their times,
// the current step's output, Cancel while the agent still allows it, and
// on failure the failed step, its output and that the instance was restored.
type RunScreen struct {
	root     fyne.CanvasObject
	Headline *widget.Label
	Steps    *fyne.Container
	Current  *widget.Label
	Output   *widget.Label
	Failure  *fyne.Container // the failed step, its output, the restore
	Cancel   *ActionButton
	// ApplyNow applies the plan a rehearsal just passed (shown after a
	// passed rehearsal started from this window).
	ApplyNow *ActionButton
	Info     *widget.Label
	Progress *presenter.Progress
	w        *Window
	stop     context.CancelFunc
	live     bool // the agent streams this run's events

	stepsTitle *widget.Label
}

// outputLines is how many of the current step's lines the screen shows.
const outputLines = 12

func newRunScreen(w *Window) *RunScreen {
	r := &RunScreen{w: w, Headline: bold("No apply or rehearsal is running."), Steps: container.NewVBox(),
		Current: widget.NewLabel(""), Output: mono(""), Failure: container.NewVBox(), Info: hint("")}
	r.Cancel = NewActionButton("Cancel run", r.cancel)
	r.Cancel.Importance = widget.DangerImportance
	r.Cancel.Hide()
	r.ApplyNow = NewActionButton("Apply this plan now…", r.applyNow)
	r.ApplyNow.Importance = widget.HighImportance
	r.ApplyNow.Hide()
	r.Failure.Hide()
	r.Info.Hide()
	head := container.NewBorder(nil, nil, nil, container.NewHBox(r.ApplyNow, r.Cancel), r.Headline)
	r.stepsTitle = bold("Steps")
	body := container.NewVBox(r.Info, r.Failure, r.stepsTitle, r.Steps, widget.NewSeparator(), r.Current, r.Output)
	r.root = container.NewBorder(head, nil, nil, nil, container.NewVScroll(body))
	return r
}

// update follows the agent's running run when the screen follows another
// or none, or shows the last run's outcome.
func (r *RunScreen) update(s presenter.Snapshot) {
	run, p := s.Running(), r.Progress
	switch {
	case run != nil && (p == nil || p.Run.ID != run.ID):
		r.Follow(*run)
	case p != nil && !p.Ended() && !r.live && run != nil:
		p.Run.Step = run.Step // no live events: the status says the step
		r.render()
	case p != nil && !p.Ended() && !r.live && s.Conn == presenter.Online:
		r.w.env.Spawn(func() { r.finish(r.w.env.Ctx, p) }) // it ended between polls
	case p == nil && s.LastRun != nil:
		r.Follow(*s.LastRun) // an ended run's events come at once
	case p == nil:
		r.idle(s)
	}
}

// settle makes a snapshot agree with the run followed: a run this screen
// saw end is not running any more, even if the agent's status, read
// before, still said so (the monitor reads it again at once).
func (r *RunScreen) settle(s presenter.Snapshot) presenter.Snapshot {
	p := r.Progress
	if p == nil || !p.Ended() || s.Status == nil || s.Status.Running == nil || s.Status.Running.ID != p.Run.ID {
		return s
	}
	st := *s.Status
	st.Running = nil
	s.Status = &st
	ended := p.Run
	s.LastRun = &ended
	return s
}

// idle says that nothing runs, and whether this agent reports runs at all.
func (r *RunScreen) idle(s presenter.Snapshot) {
	r.Headline.SetText("No apply or rehearsal is running.")
	text := "Start one from Updates, Upgrades or Blocked: its steps, their times and the current output show here."
	if s.Conn == presenter.Online && !s.RunsAvailable {
		text += " This agent does not report runs through the service yet: runs started on the host with `upkeep apply` do not show here."
	}
	r.Info.SetText(text)
	r.Info.Show()
	r.stepsTitle.Hide()
}

// Follow shows run and its events as they come; it stops following the
// previous one.
func (r *RunScreen) Follow(run api.Run) {
	if r.stop != nil {
		r.stop()
	}
	ctx, stop := context.WithCancel(r.w.env.Ctx)
	r.stop, r.live = stop, true
	p := presenter.NewProgress(run)
	r.show(p)
	r.w.env.Spawn(func() { r.watch(ctx, p) })
}

// watch streams the run's events into p until the run ends, reconnecting
// after the agent went away.
func (r *RunScreen) watch(ctx context.Context, p *presenter.Progress) {
	var (
		back  presenter.Backoff
		since int64
	)
	for ctx.Err() == nil {
		err := r.w.env.Agent.WatchRun(ctx, p.Run.ID, since, func(ev api.RunEvent) error {
			since = max(since, ev.Seq)
			r.w.env.Do(func() { p.Add(ev); r.render() })
			return nil
		})
		switch presenter.Classify(err) {
		case presenter.NoProblem:
			r.finish(ctx, p)
			return
		case presenter.Unreachable:
			r.w.env.Do(func() { r.say("The agent went away; following again when it is back…") })
			if presenter.Sleep(ctx, back.Next()) != nil {
				return
			}
			continue
		}
		if ctx.Err() == nil {
			r.w.env.Do(func() {
				r.live = false
				r.say(presenter.Explain("Live progress", err) + " The status line still follows the run.")
			})
		}
		return
	}
}

// finish reads the run's final state.
func (r *RunScreen) finish(ctx context.Context, p *presenter.Progress) {
	run, err := r.w.env.Agent.Run(ctx, p.Run.ID)
	r.w.env.Do(func() {
		if err == nil {
			p.Finish(*run)
		} else {
			ended := r.w.env.Now()
			p.Run.Ended = &ended
			r.say(presenter.Explain("Read the run's outcome", err))
		}
		r.render()
		r.w.Update(r.w.snap) // the status line and the actions: nothing runs now
		if r.w.OnEnded != nil {
			r.w.OnEnded()
		}
	})
}

func (r *RunScreen) say(text string) {
	r.Info.SetText(text)
	r.Info.Show()
}

func (r *RunScreen) show(p *presenter.Progress) {
	r.Progress = p
	r.Info.Hide()
	r.render()
}

// applyNow plans again what the passed rehearsal ran and shows the
// confirmation, when the plan is still the one rehearsed.
func (r *RunScreen) applyNow() {
	hash := r.Progress.Run.PlanHash
	req := r.w.requests[hash]
	r.w.plan(req, func(plan *api.Plan) {
		if plan.Hash != hash {
			r.w.Say("The plan changed since this rehearsal (the agent scanned again): review the new one on Updates, and rehearse it.", widget.WarningImportance)
			return
		}
		r.w.showConfirm(plan, req, presenter.PlanPrompt(plan, presenter.ContextOf(r.w.snap.Status)))
	})
}

func (r *RunScreen) cancel() {
	p := r.Progress
	if p == nil {
		return
	}
	var err error
	r.w.env.background(func(ctx context.Context) { _, err = r.w.env.Agent.Cancel(ctx, p.Run.ID) }, func() {
		if err != nil {
			if presenter.Classify(err) == presenter.Conflict {
				p.CancelRefused = err.Error()
			}
			r.w.sayErr("Cancel", err)
		} else {
			r.w.Say("Cancelling: the agent stops the run and restores the instance.", widget.WarningImportance)
		}
		r.render()
	})
}

// render draws the progress.
func (r *RunScreen) render() {
	p := r.Progress
	r.Headline.SetText(p.Headline(r.w.env.Now()))
	r.stepsTitle.Show()
	r.Steps.RemoveAll()
	for _, s := range p.Steps {
		r.Steps.Add(stepLine(s))
	}
	name, out := p.Current(outputLines)
	r.Current.SetText("")
	if name != "" {
		r.Current.SetText("Output of “" + name + "”:")
	}
	r.Output.SetText(strings.Join(out, "\n"))
	r.Cancel.Hidden = !p.CanCancel()
	r.Cancel.SetGate(Gate{Allowed: r.w.snap.CanAct(), Why: presenter.ReadOnlyTip(r.w.Settings.adminGroup)})
	_, known := r.w.requests[p.Run.PlanHash]
	r.ApplyNow.Hidden = !(p.Run.Kind == "rehearse" && p.Run.State == api.RunSucceeded && known)
	r.ApplyNow.SetGate(r.w.gate)
	r.renderFailure(p)
	r.root.Refresh()
}

func (r *RunScreen) renderFailure(p *presenter.Progress) {
	r.Failure.RemoveAll()
	failed, ok := p.Failed()
	if !ok || !p.Ended() {
		r.Failure.Hide()
		return
	}
	r.Failure.Add(note("Failed step: "+failed.Name, widget.DangerImportance))
	if len(failed.Output) > 0 {
		r.Failure.Add(mono(strings.Join(failed.Output, "\n")))
	}
	switch {
	case presenter.Restored(p.Run.State):
		r.Failure.Add(note("The instance was restored: its database and module folders are exactly as before the run, and the ERP is running again.", widget.SuccessImportance))
	case p.Run.State == "restore-failed":
		r.Failure.Add(note("The restore failed too: "+p.Run.Error, widget.DangerImportance))
	case p.Run.Kind == "rehearse":
		r.Failure.Add(note("This was a rehearsal on a throwaway copy: production was not touched.", widget.SuccessImportance))
	}
	r.Failure.Show()
}

// stepLine is one step: an icon for its state, its name and its time.
func stepLine(s presenter.StepLine) fyne.CanvasObject {
	icon := theme.MediaPlayIcon()
	switch s.Status {
	case "done":
		icon = theme.ConfirmIcon()
	case "failed":
		icon = theme.ErrorIcon()
	case "skipped":
		icon = theme.MediaSkipNextIcon()
	}
	took := ""
	if s.Elapsed > 0 {
		took = presenter.Round(s.Elapsed).String()
	}
	return container.NewBorder(nil, nil, widget.NewIcon(icon), widget.NewLabel(took), widget.NewLabel(s.Name))
}
