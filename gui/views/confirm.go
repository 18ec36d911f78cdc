package views

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// Confirm is the dialog that shows a plan before it runs: its changes step
// by step, for an enforced update the modules to disable and what that
// means, what applying does to the ERP and for about how long, and Apply
// (named after the modules), Rehearse and Cancel.
type Confirm struct {
	Dialog   *dialog.CustomDialog
	Body     *fyne.Container // what the dialog says
	Prompt   presenter.Prompt
	Apply    *widget.Button
	Rehearse *widget.Button
	// Acknowledge is the tick that names the modules to disable; Apply
	// stays disabled until it is ticked. Nil when nothing is disabled.
	Acknowledge *widget.Check
	// AckText is the acknowledgement's sentence: tapping it ticks the box.
	AckText *TapLabel
	Cancel  *widget.Button
	Plan    *api.Plan
	Request api.PlanRequest
}

// Unplanned is the dialog shown instead of a confirmation when the agent's
// plan does not hold what the admin picked: why, and the ways forward.
type Unplanned struct {
	Dialog *dialog.CustomDialog
	Info   presenter.Unplanned
	// Disable opens the enforced-update prompt for the same pick, and
	// Rehearse rehearses it that way on a throwaway copy; nil when
	// disabling blockers does not help.
	Disable, Rehearse *widget.Button
	Close             *widget.Button
}

// Review plans req in the background and shows the confirmation.
func (w *Window) Review(req api.PlanRequest) { w.review(req, nil) }

// ReviewPick plans req for the change the admin picked and shows the
// confirmation when the plan holds it; otherwise it says why not and
// offers the ways forward, never a plan of something else.
func (w *Window) ReviewPick(req api.PlanRequest, pick presenter.Pick) { w.review(req, &pick) }

func (w *Window) review(req api.PlanRequest, pick *presenter.Pick) {
	w.plan(req, func(plan *api.Plan) {
		if pick != nil && !pick.In(plan) {
			w.showUnplanned(*pick, req, plan)
			return
		}
		w.showConfirm(plan, req, presenter.PlanPrompt(plan, presenter.ContextOf(w.snap.Status)))
	})
}

// plan asks the agent for the plan of req and hands it to then.
func (w *Window) plan(req api.PlanRequest, then func(*api.Plan)) {
	w.Say("Planning…", widget.MediumImportance)
	var (
		plan *api.Plan
		err  error
	)
	w.env.background(func(ctx context.Context) {
		plan, err = w.env.Agent.Plan(ctx, req)
	}, func() {
		if err != nil {
			w.sayErr("Plan", err)
			return
		}
		w.Say("", widget.MediumImportance)
		then(plan)
	})
}

func (w *Window) showUnplanned(pick presenter.Pick, req api.PlanRequest, plan *api.Plan) {
	u := &Unplanned{Info: presenter.UnplannedOf(pick, req, plan, w.report())}
	body := container.NewVBox(bold("Why:"))
	for _, r := range u.Info.Reasons {
		body.Add(wrapped("•  " + r))
	}
	u.Close = widget.NewButton("Close", func() { u.Dialog.Hide() })
	buttons := []fyne.CanvasObject{u.Close}
	if u.Info.Disable {
		body.Add(bold("Ways forward:"))
		body.Add(wrapped("Disable the installed modules that block it: “Disable blockers…” names them and says what disabling means on this ERP " +
			"before anything is done. Or rehearse that first on a throwaway copy: production keeps running."))
		with := req
		with.DisableBlockers = true
		u.Rehearse = widget.NewButton("Rehearse with blockers disabled", func() { u.Dialog.Hide(); w.rehearsePick(with, pick) })
		u.Disable = widget.NewButton("Disable blockers…", func() { u.Dialog.Hide(); w.ReviewPick(with, pick) })
		u.Disable.Importance = widget.HighImportance
		buttons = append(buttons, u.Rehearse, u.Disable)
	}
	u.Dialog = dialog.NewCustomWithoutButtons(u.Info.Title, container.NewVScroll(body), w.Win)
	u.Dialog.SetButtons(buttons)
	u.Dialog.Resize(w.dialogSize())
	w.Unplanned = u
	u.Dialog.Show()
}

// rehearsePick rehearses req when its plan holds pick (a rehearsal touches
// only a copy, so it needs no confirmation), else says why not.
func (w *Window) rehearsePick(req api.PlanRequest, pick presenter.Pick) {
	w.plan(req, func(plan *api.Plan) {
		if !pick.In(plan) {
			w.showUnplanned(pick, req, plan)
			return
		}
		w.StartRun("rehearse", req, plan.Hash)
	})
}

func (w *Window) report() *api.Report {
	if w.snap.Report == nil {
		return nil
	}
	return w.snap.Report.Report
}

// dialogSize is a dialog's size: roomy, but within the window.
func (w *Window) dialogSize() fyne.Size {
	s := w.Win.Canvas().Size()
	return fyne.NewSize(min(820, max(s.Width-40, 300)), min(600, max(s.Height-40, 240)))
}

func (w *Window) showConfirm(plan *api.Plan, req api.PlanRequest, p presenter.Prompt) {
	c := &Confirm{Prompt: p, Plan: plan, Request: req, Body: promptBody(plan, p)}
	c.Cancel = widget.NewButton("Cancel", func() { c.Dialog.Hide() })
	c.Rehearse = widget.NewButton("Rehearse on a copy", func() { c.Dialog.Hide(); w.StartRun("rehearse", req, plan.Hash) })
	c.Apply = widget.NewButton(p.Confirm, func() { c.Dialog.Hide(); w.StartRun("apply", req, plan.Hash) })
	c.Apply.Importance = widget.HighImportance
	if len(p.Disable) > 0 {
		c.Apply.Importance = widget.DangerImportance
	}
	if p.Confirm == "" {
		c.Apply.Hide()
		c.Rehearse.Hide()
	}
	switch {
	case p.NeedsRehearsal != "":
		c.Apply.Disable()
		c.Rehearse.Importance = widget.HighImportance
		c.Body.Add(note(p.NeedsRehearsal, widget.WarningImportance))
	case p.Acknowledge != "":
		c.acknowledgement(p.Acknowledge)
	}
	c.Dialog = dialog.NewCustomWithoutButtons(p.Title, container.NewVScroll(c.Body), w.Win)
	c.Dialog.SetButtons([]fyne.CanvasObject{c.Cancel, c.Rehearse, c.Apply})
	c.Dialog.Resize(w.dialogSize())
	w.Prompt = c
	c.Dialog.Show()
}

// acknowledgement adds the tick (and its sentence, which ticks it too)
// that Apply waits for.
func (c *Confirm) acknowledgement(text string) {
	c.Apply.Disable()
	c.Acknowledge = widget.NewCheck("", func(on bool) {
		if on {
			c.Apply.Enable()
		} else {
			c.Apply.Disable()
		}
	})
	c.AckText = NewTapLabel(text, func() { c.Acknowledge.SetChecked(!c.Acknowledge.Checked) })
	c.Body.Add(container.NewBorder(nil, nil, c.Acknowledge, nil, c.AckText))
}

// promptBody says what the plan does: the modules to disable and what that
// means, the changes step by step, the warnings, what applying does to the
// ERP and for about how long, and the plan's hash.
func promptBody(plan *api.Plan, p presenter.Prompt) *fyne.Container {
	body := container.NewVBox()
	if len(p.Disable) > 0 {
		body.Add(bold("These modules will be disabled:"))
		for _, line := range p.Disable {
			body.Add(wrapped("•  " + line))
		}
		body.Add(bold("What this means for this ERP:"))
		body.Add(wrapped(p.Meaning))
	}
	if len(p.Steps) > 0 {
		body.Add(bold("Changes:"))
	}
	addSteps(body, p.Steps)
	for _, warn := range p.Warnings {
		body.Add(note(warn, widget.WarningImportance))
	}
	if p.Outage != "" {
		body.Add(bold("What applying does:"))
		body.Add(wrapped(p.Outage))
		body.Add(wrapped(p.Downtime))
	}
	body.Add(hint("Plan " + presenter.ShortHash(plan.Hash) + ". “Rehearse on a copy” runs the same plan on a throwaway copy first: production keeps running."))
	return body
}

// addSteps lists a plan's steps: a title per step when there are several.
func addSteps(box *fyne.Container, steps []presenter.Step) {
	for _, s := range steps {
		if s.Title != "" {
			box.Add(widget.NewLabelWithStyle(s.Title, fyne.TextAlignLeading, fyne.TextStyle{Italic: true}))
		}
		for _, c := range s.Changes {
			box.Add(wrapped("•  " + c))
		}
	}
}

// StartRun asks the agent to apply or rehearse the plan with this hash
// and follows it on the Run screen.
func (w *Window) StartRun(kind string, req api.PlanRequest, hash string) {
	var (
		run *api.Run
		err error
	)
	w.env.background(func(ctx context.Context) {
		rr := api.RunRequest{PlanHash: hash, Plan: req}
		if kind == "rehearse" {
			run, err = w.env.Agent.Rehearse(ctx, rr)
		} else {
			run, err = w.env.Agent.Apply(ctx, rr)
		}
	}, func() {
		what := map[string]string{"apply": "Apply", "rehearse": "Rehearse"}[kind]
		if id := presenter.RunningID(err); id != "" {
			w.Run.Follow(api.Run{ID: id, Kind: kind, State: "running"})
			w.Show(ScreenRun) //nolint:errcheck // a known screen
			w.Say(presenter.Explain(what, err)+" — showing the run in progress.", widget.WarningImportance)
			return
		}
		if err != nil {
			w.sayErr(what, err)
			return
		}
		w.Say("", widget.MediumImportance)
		w.requests[hash] = req
		w.Run.Follow(*run)
		w.Show(ScreenRun) //nolint:errcheck // a known screen
		if w.OnStarted != nil {
			w.OnStarted()
		}
	})
}
