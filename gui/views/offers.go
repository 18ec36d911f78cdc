package views

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// rowView renders one candidate: "core  2.50.20 ⟶ 2.50.21", its kind,
// maturity and repository, and its summary.
func rowView(r presenter.Row) *fyne.Container {
	title := bold(r.Module + "   " + r.Change)
	meta := hint(r.Kind + " · " + r.Maturity + " · repository " + r.Repository)
	box := container.NewVBox(title, meta)
	if r.Summary != "" {
		box.Add(wrapped(r.Summary))
	}
	return box
}

// Updates lists the patches and updates, the agent's plan for the ticked
// ones, and Apply and Rehearse.
type Updates struct {
	root     fyne.CanvasObject
	List     *fyne.Container
	Plan     *fyne.Container // the changes the plan of the ticked rows makes
	Apply    *ActionButton
	Rehearse *ActionButton
	Rows     []presenter.Row
	Ticks    []*widget.Check // one per row: what Apply and Rehearse take
	off      map[string]bool // the modules unticked, kept across refreshes
	gate     Gate            // the caller's and the agent's gate, before the ticks
	rep      *api.Report
	asked    int // the plan requests made, so that only the last one's answer shows
	w        *Window
}

func newUpdates(w *Window) *Updates {
	u := &Updates{w: w, List: container.NewVBox(), Plan: container.NewVBox(), off: map[string]bool{}}
	u.Apply = NewActionButton("Apply…", func() { w.Review(u.Request()) })
	u.Apply.Importance = widget.HighImportance
	u.Rehearse = NewActionButton("Rehearse…", func() { w.Review(u.Request()) })
	advice := hint("Untick a module to leave it out of this run (what it needs comes with it); to leave it out for good, hold it on the Installed screen.")
	actions := container.NewBorder(nil, nil, nil, container.NewHBox(u.Rehearse, u.Apply), advice)
	body := container.NewVBox(u.List, widget.NewSeparator(), bold("The agent's plan"), u.Plan)
	u.root = container.NewBorder(nil, actions, nil, nil, container.NewVScroll(body))
	u.show(nil)
	return u
}

func (u *Updates) show(saved *api.SavedReport) {
	u.List.RemoveAll()
	u.rep = nil
	if saved != nil {
		u.rep = saved.Report
	}
	u.Rows = presenter.UpdateRows(u.rep)
	if saved == nil {
		u.List.Add(wrapped(u.w.noReport()))
	} else if len(u.Rows) == 0 {
		u.List.Add(wrapped("No patches or updates: the installed modules are up to date."))
	}
	u.Ticks = nil
	for i, r := range u.Rows {
		if i > 0 {
			u.List.Add(widget.NewSeparator())
		}
		tick := widget.NewCheck("", nil)
		tick.SetChecked(!u.off[r.Module+" "+r.Change])
		tick.OnChanged = func(on bool) {
			u.off[r.Module+" "+r.Change] = !on
			u.setGate(u.gate)
			u.showPlan()
		}
		u.Ticks = append(u.Ticks, tick)
		u.List.Add(container.NewBorder(nil, nil, container.NewVBox(tick), nil, rowView(r)))
	}
	u.List.Refresh()
	u.showPlan()
}

// showPlan shows the plan of what is ticked: the report's own plan when
// every row is, else the agent's plan for the ticked modules.
func (u *Updates) showPlan() {
	u.asked++
	switch {
	case u.w.snap.Conn != presenter.Online || u.rep == nil:
		u.setPlan(wrapped(u.w.noReport()))
	case u.allTicked():
		u.setSteps(presenter.TargetSteps(u.rep))
	case len(u.Request().Modules) == 0:
		u.setPlan(wrapped("Nothing is ticked: nothing would be applied."))
	default:
		u.askPlan(u.Request(), u.asked)
	}
}

func (u *Updates) askPlan(req api.PlanRequest, n int) {
	u.setPlan(wrapped("Planning the ticked changes…"))
	var (
		plan *api.Plan
		err  error
	)
	u.w.env.background(func(ctx context.Context) { plan, err = u.w.env.Agent.Plan(ctx, req) }, func() {
		if n != u.asked {
			return // the ticks changed since
		}
		if err != nil {
			u.setPlan(note(presenter.Explain("Plan the ticked changes", err), widget.DangerImportance))
			return
		}
		u.setSteps(presenter.PlanSteps(plan))
		for _, warn := range plan.Warnings {
			u.Plan.Add(note(presenter.Words(warn), widget.WarningImportance))
		}
	})
}

func (u *Updates) setSteps(steps []presenter.Step) {
	u.Plan.RemoveAll()
	addSteps(u.Plan, steps)
	if len(steps) == 0 {
		u.Plan.Add(widget.NewLabel("Nothing to apply."))
	}
	u.Plan.Refresh()
}

func (u *Updates) setPlan(o fyne.CanvasObject) {
	u.Plan.RemoveAll()
	u.Plan.Add(o)
	u.Plan.Refresh()
}

func (u *Updates) setGate(g Gate) {
	u.gate = g
	switch {
	case !g.Allowed:
	case len(u.Rows) == 0:
		g = Gate{Why: "Nothing to apply."}
	case len(u.Request().Modules) == 0 && !u.allTicked():
		g = Gate{Why: "Tick at least one patch or update."}
	}
	u.Apply.SetGate(g)
	u.Rehearse.SetGate(g)
}

// Request is the plan request of the ticked rows: the agent's whole plan
// when every row is ticked, else only the ticked modules and what they need.
func (u *Updates) Request() api.PlanRequest {
	if u.allTicked() {
		return api.PlanRequest{}
	}
	ticked := make([]bool, len(u.Ticks))
	for i, t := range u.Ticks {
		ticked[i] = t.Checked
	}
	return presenter.SelectedRequest(u.Rows, ticked)
}

func (u *Updates) allTicked() bool {
	for _, t := range u.Ticks {
		if !t.Checked {
			return false
		}
	}
	return true
}

// Upgrades lists the upgrades apart, with what each needs first and the
// on-request ones marked, and "Plan this upgrade".
type Upgrades struct {
	root  fyne.CanvasObject
	List  *fyne.Container
	Rows  []presenter.Row
	Plans []*ActionButton // "Plan this upgrade", one per row
	w     *Window
}

func newUpgrades(w *Window) *Upgrades {
	u := &Upgrades{w: w, List: container.NewVBox()}
	intro := hint("Upgrades move a module to a new series. They are never applied silently; " +
		"modules whose repository sets default_upgrade = false are taken only when you plan them here.")
	u.root = container.NewBorder(intro, nil, nil, nil, container.NewVScroll(u.List))
	u.show(nil)
	return u
}

func (u *Upgrades) show(saved *api.SavedReport) {
	u.List.RemoveAll()
	u.Plans = nil
	var rep *api.Report
	if saved != nil {
		rep = saved.Report
	}
	u.Rows = presenter.UpgradeRows(rep)
	switch {
	case saved == nil:
		u.List.Add(wrapped(u.w.noReport()))
	case len(u.Rows) == 0:
		u.List.Add(wrapped("No upgrades are on offer."))
	}
	for i, r := range u.Rows {
		if i > 0 {
			u.List.Add(widget.NewSeparator())
		}
		box := rowView(r)
		if r.OnRequest {
			box.Add(note("Not upgraded by default (default_upgrade = false): taken only when you plan it.", widget.WarningImportance))
		}
		if r.Needs != "" {
			box.Add(wrapped("Needs first: " + r.Needs))
		}
		row := r
		b := NewActionButton("Plan this upgrade…", func() { u.w.ReviewPick(presenter.PlanUpgrade(row)) })
		if r.Blocked && !r.OnRequest {
			b = NewActionButton("See why it is blocked", func() { u.w.Show(ScreenBlocked) }) //nolint:errcheck // a known screen
		}
		u.Plans = append(u.Plans, b)
		box.Add(container.NewHBox(b))
		u.List.Add(box)
	}
}

func (u *Upgrades) setGate(g Gate) {
	for i, b := range u.Plans {
		if u.Rows[i].Blocked && !u.Rows[i].OnRequest {
			continue // navigation, not an action
		}
		b.SetGate(g)
	}
}
