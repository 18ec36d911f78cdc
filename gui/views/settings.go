package views

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// Settings summarises the agent's configuration (schedule, maintenance
// windows, silent patch policy, rehearsal requirement, subscribed
// repositories, maturity minimums) and edits the file itself: the agent
// checks it and names the key of any mistake.
type Settings struct {
	root    fyne.CanvasObject
	Summary *widget.Form
	Editor  *widget.Entry
	Save    *ActionButton
	Reload  *widget.Button
	Path    *widget.Label
	// revision is what the editor was loaded from (sent back on save).
	revision   string
	adminGroup string
	w          *Window
	loading    bool
}

func newSettings(w *Window) *Settings {
	s := &Settings{w: w, Summary: widget.NewForm(), Editor: widget.NewMultiLineEntry(), Path: widget.NewLabel("")}
	s.Editor.TextStyle = fyne.TextStyle{Monospace: true}
	s.Editor.SetMinRowsVisible(12)
	s.Editor.Wrapping = fyne.TextWrapWord
	s.Save = NewActionButton("Save", s.save)
	s.Save.Importance = widget.HighImportance
	s.Reload = widget.NewButton("Reload", s.Load)
	editor := container.NewBorder(container.NewBorder(nil, nil, bold("Configuration file"), container.NewHBox(s.Reload, s.Save), s.Path), nil, nil, nil, s.Editor)
	s.root = container.NewBorder(s.Summary, nil, nil, nil, editor)
	return s
}

// Load reads the configuration.
func (s *Settings) Load() {
	if s.loading {
		return
	}
	s.loading = true
	var (
		st  *api.Settings
		err error
	)
	s.w.env.background(func(ctx context.Context) { st, err = s.w.env.Agent.Settings(ctx) }, func() {
		s.loading = false
		if err != nil {
			s.w.sayErr("Read the settings", err)
			return
		}
		s.show(st)
	})
}

func (s *Settings) show(st *api.Settings) {
	s.revision = st.Revision
	s.adminGroup = presenter.AdminGroup(st.TOML)
	s.Path.SetText(st.Path)
	s.Editor.SetText(st.TOML)
	s.Summary.Items = nil
	lines, err := presenter.SettingsSummary(st.TOML)
	if err != nil {
		s.Summary.Append("Problem", note(err.Error(), widget.DangerImportance))
	}
	for _, l := range lines {
		s.Summary.Append(l.Name, wrapped(l.Value))
	}
	s.Summary.Refresh()
	s.w.Update(s.w.snap) // the admin group names the read-only tip
}

func (s *Settings) save() {
	up := api.SettingsUpdate{Revision: s.revision, TOML: s.Editor.Text}
	var (
		st  *api.Settings
		err error
	)
	s.w.env.background(func(ctx context.Context) { st, err = s.w.env.Agent.SetSettings(ctx, up) }, func() {
		if err != nil {
			s.w.sayErr("Save the settings", err)
			return
		}
		msg := "Settings saved; the agent uses them now."
		if st.RestartNeeded {
			msg = "Settings saved; the [api] and [state] changes take effect when the upkeep service restarts."
		}
		s.w.Say(msg, widget.SuccessImportance)
		s.show(st)
	})
}

func (s *Settings) setGate(g Gate) {
	s.Save.SetGate(g)
	if g.Allowed {
		s.Editor.Enable()
	} else {
		s.Editor.Disable()
	}
}
