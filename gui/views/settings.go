package views

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// Settings edits the common settings with form controls (schedule,
// maintenance windows, the silent policy, the rehearsal requirement,
// notifications), summarises the rest (repositories, maturity minimums)
// and edits the file itself below: the agent checks every change and
// names the key of any mistake.
type Settings struct {
	root    fyne.CanvasObject
	Form    *SettingsForm
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

// SettingsForm is the form controls of the common settings.
type SettingsForm struct {
	Form                       *widget.Form
	Every, Windows             *widget.Entry
	Patches, Updates, Upgrades *widget.Select
	RequireRehearsal           *widget.Check
	WebhookURL, MailTo         *widget.Entry
	Save                       *ActionButton
	Problem                    *widget.Label // why the form cannot be used (the file does not read)
	loaded                     string        // the text the form was filled from
	cronSet                    bool
}

func newSettings(w *Window) *Settings {
	s := &Settings{w: w, Summary: widget.NewForm(), Editor: widget.NewMultiLineEntry(), Path: widget.NewLabel("")}
	s.Path.Truncation = fyne.TextTruncateEllipsis
	s.Form = s.newForm()
	s.Editor.TextStyle = fyne.TextStyle{Monospace: true}
	s.Editor.SetMinRowsVisible(10)
	s.Editor.Wrapping = fyne.TextWrapWord
	s.Save = NewActionButton("Save the file", s.save)
	s.Reload = widget.NewButton("Reload", s.Load)
	fileHead := container.NewBorder(nil, nil, bold("Configuration file"), container.NewHBox(s.Reload, s.Save), s.Path)
	policy := hint("Per kind, what the agent does on its own: notify (only tell), stage (download and wait), apply (patches only, silently, inside a maintenance window).")
	body := container.NewVBox(bold("Common settings"), s.Form.Problem, policy, s.Form.Form, container.NewHBox(s.Form.Save),
		widget.NewSeparator(), bold("Also in the file"), s.Summary, widget.NewSeparator(), fileHead, s.Editor)
	s.root = container.NewVScroll(body)
	return s
}

func (s *Settings) newForm() *SettingsForm {
	f := &SettingsForm{Every: widget.NewEntry(), Windows: widget.NewEntry(), WebhookURL: widget.NewEntry(), MailTo: widget.NewEntry(),
		Patches: widget.NewSelect(presenter.PatchChoices, nil), Updates: widget.NewSelect(presenter.OtherChoices, nil),
		Upgrades: widget.NewSelect(presenter.OtherChoices, nil), Problem: note("", widget.DangerImportance)}
	f.Problem.Hide()
	f.Every.SetPlaceHolder("6h (the default)")
	f.Windows.SetPlaceHolder("none (e.g. Sat 02:00-04:00)")
	f.WebhookURL.SetPlaceHolder("none (https://…)")
	f.MailTo.SetPlaceHolder("none (a@example.com, …)")
	f.RequireRehearsal = widget.NewCheck("a passed one before any apply", nil)
	f.Save = NewActionButton("Save these settings", s.saveForm)
	f.Save.Importance = widget.HighImportance
	f.Form = widget.NewForm(
		widget.NewFormItem("Scan every", f.Every),
		widget.NewFormItem("Maintenance windows", f.Windows),
		widget.NewFormItem("Patches", f.Patches),
		widget.NewFormItem("Updates", f.Updates),
		widget.NewFormItem("Upgrades", f.Upgrades),
		widget.NewFormItem("Rehearsal", f.RequireRehearsal),
		widget.NewFormItem("Webhook", f.WebhookURL),
		widget.NewFormItem("E-mail to", f.MailTo),
	)
	return f
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
	s.fill(st.TOML)
	s.Summary.Items = nil
	lines, err := presenter.SettingsSummary(st.TOML)
	if err != nil {
		s.Summary.Append("Problem", note(err.Error(), widget.DangerImportance))
	}
	for _, l := range lines {
		if strings.HasPrefix(l.Key, "repository") || strings.HasPrefix(l.Key, "policy") {
			s.Summary.Append(l.Name, wrapped(l.Value))
		}
	}
	s.Summary.Refresh()
	s.w.Update(s.w.snap) // the admin group names the read-only tip
}

// fill puts the common settings of text into the form.
func (s *Settings) fill(text string) {
	f := s.Form
	c, err := presenter.CommonOf(text)
	f.loaded = text
	if err != nil {
		f.Problem.SetText(err.Error())
		f.Problem.Show()
		return
	}
	f.Problem.Hide()
	f.cronSet = c.Cron != ""
	f.Every.SetText(c.Every)
	if f.cronSet {
		f.Every.SetText("")
		f.Every.SetPlaceHolder("on cron “" + c.Cron + "” (schedule.cron: change it in the file)")
	}
	f.Windows.SetText(strings.Join(c.Windows, ", "))
	f.Patches.SetSelected(c.Patches)
	f.Updates.SetSelected(c.Updates)
	f.Upgrades.SetSelected(c.Upgrades)
	f.RequireRehearsal.SetChecked(c.RequireRehearsal)
	f.WebhookURL.SetText(c.WebhookURL)
	f.MailTo.SetText(strings.Join(c.MailTo, ", "))
	s.setGate(s.w.gate)
}

// common reads the form.
func (f *SettingsForm) common() presenter.Common {
	return presenter.Common{Every: strings.TrimSpace(f.Every.Text), Windows: presenter.SplitList(f.Windows.Text),
		Patches: f.Patches.Selected, Updates: f.Updates.Selected, Upgrades: f.Upgrades.Selected,
		RequireRehearsal: f.RequireRehearsal.Checked, WebhookURL: strings.TrimSpace(f.WebhookURL.Text), MailTo: presenter.SplitList(f.MailTo.Text)}
}

// saveForm writes the form's settings into the file as loaded and saves it.
func (s *Settings) saveForm() {
	text, err := s.Form.common().Save(s.Form.loaded)
	if err != nil {
		s.w.Say("Save the settings: "+err.Error(), widget.DangerImportance)
		return
	}
	s.put(text)
}

func (s *Settings) save() { s.put(s.Editor.Text) }

func (s *Settings) put(text string) {
	up := api.SettingsUpdate{Revision: s.revision, TOML: text}
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
	f := s.Form
	f.Save.SetGate(g)
	for _, e := range []fyne.Disableable{s.Editor, f.Every, f.Windows, f.Patches, f.Updates, f.Upgrades, f.RequireRehearsal, f.WebhookURL, f.MailTo} {
		if g.Allowed {
			e.Enable()
		} else {
			e.Disable()
		}
	}
	if f.cronSet {
		f.Every.Disable()
	}
}
