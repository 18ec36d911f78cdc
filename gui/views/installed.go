package views

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// Installed lists the installed modules with their version, source
// repository and maturity, a hold toggle and the default-upgrade override.
type Installed struct {
	root fyne.CanvasObject
	Grid *fyne.Container
	Rows []presenter.InstalledRow
	// Hold and Override are the row controls by module.
	Hold     map[string]*widget.Check
	Override map[string]*widget.Select
	w        *Window
	gate     Gate
	loading  bool
}

func newInstalled(w *Window) *Installed {
	in := &Installed{w: w, Grid: container.NewVBox()}
	intro := hint("A held module is never proposed. The default-upgrade override decides, for this instance, " +
		"whether scans propose the module's upgrades (inherit: as its repository says).")
	in.root = container.NewBorder(intro, nil, nil, nil, container.NewScroll(in.Grid))
	in.Grid.Add(widget.NewLabel("Loading…"))
	return in
}

// Load reads the installed modules, holds and overrides.
func (in *Installed) Load() {
	if in.loading {
		return
	}
	in.loading = true
	var (
		mods  []api.InstalledModule
		holds []api.Hold
		ov    *api.Overrides
		err   error
	)
	in.w.env.background(func(ctx context.Context) {
		if mods, err = in.w.env.Agent.Installed(ctx); err != nil {
			return
		}
		if holds, err = in.w.env.Agent.Holds(ctx); err != nil {
			return
		}
		ov, err = in.w.env.Agent.Overrides(ctx)
	}, func() {
		in.loading = false
		if err != nil {
			in.Grid.RemoveAll()
			in.Grid.Add(note(presenter.Explain("Read the installed modules", err), widget.DangerImportance))
			return
		}
		var rep *api.Report
		if in.w.snap.Report != nil {
			rep = in.w.snap.Report.Report
		}
		in.show(presenter.InstalledRows(mods, rep, holds, ov), presenter.DisabledNotes(rep))
	})
}

func (in *Installed) show(rows []presenter.InstalledRow, disabled []string) {
	in.Rows = rows
	in.Hold, in.Override = map[string]*widget.Check{}, map[string]*widget.Select{}
	in.Grid.RemoveAll()
	cells := [][]fyne.CanvasObject{{bold("Module"), bold("Version"), bold("Repository"), bold("Maturity"), bold("Hold"), bold("Default upgrade"), widget.NewLabel("")}}
	for _, r := range rows {
		module := r.Module
		hold := widget.NewCheck("held", nil)
		hold.SetChecked(r.Held)
		hold.OnChanged = func(on bool) { in.setHold(module, on) }
		over := widget.NewSelect(presenter.DefaultUpgradeChoices, nil)
		over.SetSelected(r.DefaultUpgrade)
		over.OnChanged = func(choice string) { in.setOverride(module, choice) }
		in.Hold[module], in.Override[module] = hold, over
		name := r.Module
		if r.Core {
			name += " (core)"
		}
		cells = append(cells, []fyne.CanvasObject{widget.NewLabel(name), widget.NewLabel(r.Version), widget.NewLabel(orDash(r.Repository)),
			widget.NewLabel(orDash(r.Maturity)), hold, over, widget.NewLabel("")})
	}
	in.Grid.Add(table(cells...))
	for _, r := range rows {
		if r.Note != "" {
			in.Grid.Add(note(r.Module+": "+r.Note, widget.WarningImportance))
		}
	}
	for _, d := range disabled {
		in.Grid.Add(note(d, widget.MediumImportance))
	}
	in.setGate(in.gate)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func (in *Installed) setHold(module string, on bool) {
	var err error
	in.w.env.background(func(ctx context.Context) {
		_, err = in.w.env.Agent.SetHolds(ctx, presenter.HoldChange(module, on))
	}, func() {
		if err != nil {
			in.w.sayErr("Hold "+module, err)
			in.Load()
			return
		}
		if on {
			in.w.Say(module+" is held: scans will not propose it until you release it.", widget.SuccessImportance)
		} else {
			in.w.Say(module+" is released: the next scan may propose it again.", widget.SuccessImportance)
		}
	})
}

func (in *Installed) setOverride(module, choice string) {
	var err error
	in.w.env.background(func(ctx context.Context) {
		_, err = in.w.env.Agent.SetOverrides(ctx, presenter.OverrideChange(module, choice))
	}, func() {
		if err != nil {
			in.w.sayErr("Default upgrade of "+module, err)
			in.Load()
			return
		}
		in.w.Say("Default upgrade of "+module+": "+choice+". It takes effect at the next scan.", widget.SuccessImportance)
	})
}

func (in *Installed) setGate(g Gate) {
	in.gate = g
	for _, c := range in.Hold {
		if g.Allowed {
			c.Enable()
		} else {
			c.Disable()
		}
	}
	for _, s := range in.Override {
		if g.Allowed {
			s.Enable()
		} else {
			s.Disable()
		}
	}
}
