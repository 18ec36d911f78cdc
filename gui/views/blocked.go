package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// Blocked lists the versions that cannot be applied as things stand, with
// their reasons and blockers, "Update blocker" where a newer blocker
// version solves it, and "Disable blockers and apply…" (the enforced
// update prompt).
type Blocked struct {
	root fyne.CanvasObject
	List *fyne.Container
	Rows []presenter.BlockedRow
	// UpdateBlocker holds the "Update blocker" buttons by blocker module;
	// Enforce the "Disable blockers and apply…" buttons, one per row
	// (nil where disabling does not help).
	UpdateBlocker map[string]*ActionButton
	Enforce       []*ActionButton
	w             *Window
}

func newBlocked(w *Window) *Blocked {
	b := &Blocked{w: w, List: container.NewVBox()}
	b.root = container.NewVScroll(b.List)
	b.show(nil)
	return b
}

func (b *Blocked) show(saved *api.SavedReport) {
	b.List.RemoveAll()
	b.UpdateBlocker, b.Enforce = map[string]*ActionButton{}, nil
	var rep *api.Report
	if saved != nil {
		rep = saved.Report
	}
	b.Rows = presenter.BlockedRows(rep)
	switch {
	case saved == nil:
		b.List.Add(wrapped(b.w.noReport()))
	case len(b.Rows) == 0:
		b.List.Add(wrapped("Nothing is blocked: every version on offer can be applied."))
	}
	for i, r := range b.Rows {
		if i > 0 {
			b.List.Add(widget.NewSeparator())
		}
		b.List.Add(b.rowView(r))
	}
}

func (b *Blocked) rowView(r presenter.BlockedRow) *fyne.Container {
	box := rowView(r.Row)
	box.Add(bold("Why it cannot be applied as things stand:"))
	for _, reason := range r.Reasons {
		box.Add(wrapped("•  " + reason))
	}
	if len(r.Blockers) > 0 {
		box.Add(bold("Blockers:"))
	}
	for _, bl := range r.Blockers {
		line := bl.Module + " " + bl.Version + " needs " + bl.Needs
		if bl.Held {
			line += " (held)"
		}
		row := container.NewBorder(nil, nil, nil, nil, wrapped(line))
		if bl.WayOut != "" {
			blocker := bl
			btn := NewActionButton("Update blocker…", func() { b.w.ReviewPick(presenter.UpdateBlocker(blocker)) })
			b.UpdateBlocker[bl.Module] = btn
			row = container.NewBorder(nil, nil, nil, btn, container.NewVBox(wrapped(line), note("Way out: "+bl.WayOut, widget.SuccessImportance)))
		}
		box.Add(row)
	}
	var enforce *ActionButton
	if r.Resolvable && len(r.Disable) > 0 {
		enforce = NewActionButton("Disable blockers and apply…", func() { b.w.Review(api.PlanRequest{DisableBlockers: true}) })
		enforce.Importance = widget.DangerImportance
		box.Add(container.NewBorder(nil, nil, nil, enforce,
			wrapped("Or disable "+presenter.JoinAnd(r.Disable)+" (the smallest set) and apply anyway:")))
	}
	b.Enforce = append(b.Enforce, enforce)
	return box
}

func (b *Blocked) setGate(g Gate) {
	for _, btn := range b.UpdateBlocker {
		btn.SetGate(g)
	}
	for _, btn := range b.Enforce {
		if btn != nil {
			btn.SetGate(g)
		}
	}
}
