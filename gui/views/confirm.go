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

// Confirm is the dialog that shows a plan before it runs: its changes,
// for an enforced update the modules to disable and what that means, the
// downtime estimate, and Apply (named after the modules), Rehearse and
// Cancel.
type Confirm struct {
	Dialog   *dialog.CustomDialog
	Body     *fyne.Container // what the dialog says
	Prompt   presenter.Prompt
	Apply    *widget.Button
	Rehearse *widget.Button
	// Acknowledge is the tick that names the modules to disable; Apply
	// stays disabled until it is ticked. Nil when nothing is disabled.
	Acknowledge *widget.Check
	Cancel      *widget.Button
	Plan        *api.Plan
	Request     api.PlanRequest
}

// Review plans req in the background and shows the confirmation.
func (w *Window) Review(req api.PlanRequest) {
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
		erp := ""
		if w.snap.Status != nil {
			erp = w.snap.Status.ERP
		}
		w.showConfirm(plan, req, presenter.PlanPrompt(plan, erp))
	})
}

func (w *Window) showConfirm(plan *api.Plan, req api.PlanRequest, p presenter.Prompt) {
	c := &Confirm{Prompt: p, Plan: plan, Request: req, Body: promptBody(plan, p)}
	c.Cancel = widget.NewButton("Cancel", func() { c.Dialog.Hide() })
	c.Rehearse = widget.NewButton("Rehearse", func() { c.Dialog.Hide(); w.StartRun("rehearse", req, plan.Hash) })
	c.Apply = widget.NewButton(p.Confirm, func() { c.Dialog.Hide(); w.StartRun("apply", req, plan.Hash) })
	c.Apply.Importance = widget.HighImportance
	if len(p.Disable) > 0 {
		c.Apply.Importance = widget.DangerImportance
	}
	if p.Confirm == "" {
		c.Apply.Hide()
		c.Rehearse.Hide()
	}
	if p.Acknowledge != "" {
		c.Apply.Disable()
		c.Acknowledge = widget.NewCheck("", func(on bool) {
			if on {
				c.Apply.Enable()
			} else {
				c.Apply.Disable()
			}
		})
		c.Body.Add(container.NewBorder(nil, nil, c.Acknowledge, nil, wrapped(p.Acknowledge)))
	}
	c.Dialog = dialog.NewCustomWithoutButtons(p.Title, container.NewVScroll(c.Body), w.Win)
	c.Dialog.SetButtons([]fyne.CanvasObject{c.Cancel, c.Rehearse, c.Apply})
	c.Dialog.Resize(fyne.NewSize(820, 600))
	w.Prompt = c
	c.Dialog.Show()
}

// promptBody says what the plan does: the modules to disable and what that
// means, the changes, the warnings, the downtime and the plan's hash.
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
	body.Add(bold("Changes, in order:"))
	for _, line := range p.Changes {
		body.Add(wrapped("•  " + line))
	}
	for _, warn := range plan.Warnings {
		body.Add(note(warn, widget.WarningImportance))
	}
	body.Add(wrapped(p.Downtime))
	body.Add(wrapped("Plan " + presenter.ShortHash(plan.Hash) + ": a rehearsal runs the same plan on a throwaway copy first."))
	return body
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
			w.Say(presenter.Explain(what, err)+" — showing the run in progress.", widget.WarningImportance)
			w.Run.Follow(api.Run{ID: id, Kind: kind, State: "running"})
			w.Show(ScreenRun) //nolint:errcheck // a known screen
			return
		}
		if err != nil {
			w.sayErr(what, err)
			return
		}
		w.Say("", widget.MediumImportance)
		w.Run.Follow(*run)
		w.Show(ScreenRun) //nolint:errcheck // a known screen
		if w.OnStarted != nil {
			w.OnStarted()
		}
	})
}
