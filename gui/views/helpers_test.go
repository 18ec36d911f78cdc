package views_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
	"github.com/upkeep-erp/upkeep/gui/views"
)

// now is the tests' fixed clock.
var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// open builds the window on the Fyne test driver over agent, with work
// and UI updates run at once, and shows the snapshot the monitor makes
// of the agent.
func open(t *testing.T, agent *presentertest.Agent) *views.Window {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(a.Quit)
	env := &views.Env{App: a, Agent: agent, Ctx: context.Background(),
		Spawn: func(f func()) { f() }, Do: func(f func()) { f() }, Now: func() time.Time { return now }}
	w := views.NewWindow(env)
	w.Win.Show()
	poll(w, agent)
	return w
}

// poll runs one monitor poll over agent and shows its snapshot.
func poll(w *views.Window, agent *presentertest.Agent) presenter.Snapshot {
	var snap presenter.Snapshot
	m := &presenter.Monitor{Client: agent, OnChange: func(s presenter.Snapshot) { snap = s }, Now: func() time.Time { return now }}
	m.Init()
	m.Step(context.Background())
	w.Update(snap)
	return snap
}

// texts collects the text of every label and button under o.
func texts(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			if x.Visible() {
				b.WriteString(x.Text + "\n")
			}
		case *views.TapLabel:
			if x.Visible() {
				b.WriteString(x.Text + "\n")
			}
		case *widget.Button:
			b.WriteString("[" + x.Text + "]\n")
		case *views.ActionButton:
			b.WriteString("[" + x.Text + "]\n")
		case *widget.Accordion:
			for _, it := range x.Items {
				b.WriteString(it.Title + "\n")
				walk(it.Detail)
			}
		case *widget.Form:
			for _, it := range x.Items {
				b.WriteString(it.Text + ": ")
				walk(it.Widget)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

// calls returns the fake's calls as one string, one per line.
func calls(a *presentertest.Agent) string { return strings.Join(a.Called(), "\n") }

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}
