package tray_test

import (
	"context"
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
	"github.com/upkeep-erp/upkeep/gui/tray"
	"github.com/upkeep-erp/upkeep/gui/views"
)

// deskApp is the Fyne test app with a recorded system tray: CI has no
// tray host, so this is the one part the tests fake.
type deskApp struct {
	fyne.App
	icon fyne.Resource
	menu *fyne.Menu
}

func (d *deskApp) SetSystemTrayMenu(m *fyne.Menu)    { d.menu = m }
func (d *deskApp) SetSystemTrayIcon(r fyne.Resource) { d.icon = r }
func (d *deskApp) labels() (out []string)            { return menuLabels(d.menu) }
func (d *deskApp) item(label string) *fyne.MenuItem  { return findItem(d.menu, label) }

// opened records the targets the shell opens the window on.
type opened struct{ targets []string }

func (o *opened) Open(target string) error {
	o.targets = append(o.targets, target)
	return nil
}
func menuLabels(m *fyne.Menu) (out []string) {
	return collect(m, func(i *fyne.MenuItem) string { return i.Label })
}
func collect(m *fyne.Menu, f func(*fyne.MenuItem) string) (out []string) {
	for _, i := range m.Items {
		out = append(out, f(i))
	}
	return out
}

func findItem(m *fyne.Menu, label string) *fyne.MenuItem {
	for _, i := range m.Items {
		if i.Label == label {
			return i
		}
	}
	return nil
}

// shell builds the shell on a fresh test app with a tray over agent; work
// runs at once.
func shell(t *testing.T, a fyne.App, agent *presentertest.Agent) (*tray.Shell, *deskApp) {
	t.Helper()
	s, d, _ := shellOpening(t, a, agent)
	return s, d
}

// shellOpening is shell, with what the shell opens the window on.
func shellOpening(t *testing.T, a fyne.App, agent *presentertest.Agent) (*tray.Shell, *deskApp, *opened) {
	t.Helper()
	d, o := &deskApp{App: a}, &opened{}
	s := tray.New(inline(d, agent), d, o)
	s.Monitor.Init()
	return s, d, o
}

// inline is an Env over app and agent whose work runs at once.
func inline(app fyne.App, agent *presentertest.Agent) *views.Env {
	return &views.Env{App: app, Agent: agent, Ctx: context.Background(), Spawn: func(f func()) { f() }, Do: func(f func()) { f() }}
}

// windowApp builds the window process's app on a fresh test app over agent.
func windowApp(t *testing.T, agent *presentertest.Agent) *tray.WindowApp {
	t.Helper()
	w := tray.NewWindowApp(inline(newApp(t), agent))
	w.Monitor.Init()
	return w
}

func newApp(t *testing.T) fyne.App {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	return a
}

func TestTrayIconAndMenuFollowTheAgent(t *testing.T) {
	agent := presentertest.NewDemo()
	s, d, o := shellOpening(t, newApp(t), agent)
	if d.icon.Name() != "upkeep-unreachable.svg" || d.labels()[0] != "Connecting to the Upkeep agent…" {
		t.Errorf("before the first poll: icon %s, menu %q", d.icon.Name(), d.labels())
	}
	s.Monitor.Step(context.Background())
	got := d.labels()
	want := []string{"", "Check now", "Open Upkeep…", "Apply 1 patch…", "", "Quit"}
	if len(got) != len(want) || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] || got[5] != want[5] {
		t.Fatalf("menu %q, want %q", got, want)
	}
	if !strings.HasPrefix(got[0], "1 patch, 2 updates, 1 upgrade available") || !d.menu.Items[0].Disabled {
		t.Errorf("status line %q (disabled %v)", got[0], d.menu.Items[0].Disabled)
	}
	if !d.item("Quit").IsQuit || d.icon.Name() != "upkeep-available.svg" {
		t.Errorf("quit %v, icon %s", d.item("Quit").IsQuit, d.icon.Name())
	}
	// The menu's actions open the window, whose process checks the plan.
	d.item("Apply 1 patch…").Action()
	d.item("Open Upkeep…").Action()
	if strings.Join(o.targets, ",") != tray.TargetApplyPatches+"," {
		t.Errorf("the window opened on %q, want apply-patches then the screen shown", o.targets)
	}
	d.item("Check now").Action()
	if !strings.Contains(strings.Join(agent.Called(), " "), "Scan") {
		t.Errorf("Check now did not scan: %q", agent.Called())
	}
}

func TestApplyPatchesReviewsAPlanWithMoreThanPatches(t *testing.T) {
	agent := presentertest.NewDemo()
	w := windowApp(t, agent)
	if err := w.Open(tray.TargetApplyPatches); err != nil {
		t.Fatal(err)
	}
	w.Monitor.Step(context.Background())
	if views.Screens[w.Window.Tabs.SelectedIndex()] != views.ScreenUpdates || !w.Window.Win.Content().Visible() {
		t.Error("Apply 1 patch… did not open the Updates screen")
	}
	if strings.Contains(strings.Join(agent.Called(), " "), "Apply") {
		t.Error("a plan with updates was applied from the menu")
	}
}

func TestApplyPatchesAppliesAPatchOnlyPlanAtOnce(t *testing.T) {
	agent := presentertest.NewDemo()
	v := catalog.MustParseVersion
	agent.Set(func(a *presentertest.Agent) {
		r := a.Saved.Report
		r.Updates, r.Target = nil, []scan.Change{{Stage: 1, Module: "core", From: v("2.50.20"), To: v("2.50.21"), Kind: catalog.KindPatch}}
		a.Plans[presentertest.PlanKey(api.PlanRequest{})] = &api.Plan{Plan: scan.Plan{Hash: "patchplan",
			Changes: []scan.PlannedChange{{Stage: 1, Module: "core", From: v("2.50.20"), To: v("2.50.21"), Kind: catalog.KindPatch}}}}
	})
	s, d, o := shellOpening(t, newApp(t), agent)
	s.Monitor.Step(context.Background())
	item := d.item("Apply 1 patch")
	if item == nil {
		t.Fatalf("menu %q has no direct “Apply 1 patch”", d.labels())
	}
	item.Action()
	if len(o.targets) != 1 || o.targets[0] != tray.TargetApplyPatches {
		t.Fatalf("the window opened on %q", o.targets)
	}
	// The window process, asked before the agent answered, applies once it has.
	w := windowApp(t, agent)
	if err := w.Open(o.targets[0]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(agent.Called(), "\n"), "Apply") {
		t.Fatal("applied before the agent's report was read")
	}
	w.Monitor.Step(context.Background())
	if !strings.Contains(strings.Join(agent.Called(), "\n"), "Apply patchplan install=[] upgrades=[] disable=false") {
		t.Errorf("calls %q", agent.Called())
	}
	if views.Screens[w.Window.Tabs.SelectedIndex()] != views.ScreenRun {
		t.Error("the Run screen is not shown")
	}
	s.Monitor.Step(context.Background())
	if d.icon.Name() != "upkeep-running.svg" || !strings.HasPrefix(d.labels()[0], "Applying") {
		t.Errorf("while running: icon %s, status %q", d.icon.Name(), d.labels()[0])
	}
	if d.item("Check now").Disabled != true {
		t.Error("Check now is enabled during a run")
	}
}

func TestNotificationsAreSentOnceAcrossSessions(t *testing.T) {
	a := newApp(t)
	agent := presentertest.NewDemo()
	agent.Unavailable("Events")
	s, _ := shell(t, a, agent)
	test.AssertNotificationSent(t, fyne.NewNotification("Upkeep: 1 new upgrade, 1 blocked update",
		"Upgrade available: arp 2.0.0\nBlocked as things stand: core 3.0.0 (see Blocked)"), func() {
		s.Monitor.Step(context.Background())
	})
	if keys := a.Preferences().StringList("news.keys"); len(keys) != 2 {
		t.Errorf("saved keys %q", keys)
	}
	// A new session on the same preferences stays quiet about the same news.
	next, _ := shell(t, a, agent)
	test.AssertNotificationSent(t, nil, func() { next.Monitor.Step(context.Background()) })
}

func TestOpenAtStartOnTheEnforcedUpdatePrompt(t *testing.T) {
	agent := presentertest.NewDemo()
	w := windowApp(t, agent)
	if err := w.Open(tray.ScreenEnforce); err != nil {
		t.Fatal(err)
	}
	if w.Window.Prompt != nil {
		t.Fatal("the prompt opened before the agent answered")
	}
	w.Monitor.Step(context.Background())
	if w.Window.Prompt == nil || w.Window.Prompt.Acknowledge == nil || w.Window.Prompt.Apply.Text != "Disable and apply" {
		t.Fatalf("prompt %+v", w.Window.Prompt)
	}
	if err := tray.CheckTarget("nowhere"); err == nil || !strings.Contains(err.Error(), "choose one of updates") {
		t.Errorf("an unknown screen: %v", err)
	}
	if err := tray.RunWindow(inline(newApp(t), agent), tray.Options{Screen: "nowhere"}, nil); err == nil {
		t.Error("the window process accepted an unknown screen")
	}
}

func TestIconsAreDistinctAndRender(t *testing.T) {
	newApp(t)
	seen := map[string]presenter.Icon{}
	for _, ic := range presenter.Icons() {
		res := tray.Icon(ic)
		if prev, dup := seen[string(res.Content())]; dup {
			t.Errorf("%v draws the same picture as %v", ic, prev)
		}
		seen[string(res.Content())] = ic
		img := canvas.NewImageFromResource(res)
		img.FillMode = canvas.ImageFillContain
		w := test.NewTempWindow(t, img)
		w.SetPadded(false)
		w.Resize(fyne.NewSize(64, 64))
		pic := w.Canvas().Capture()
		b := pic.Bounds()
		edge := color.NRGBAModel.Convert(pic.At(b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()/10)).(color.NRGBA)
		if edge.A == 0 || (edge.R == edge.G && edge.G == edge.B && ic != presenter.IconUnreachable) {
			t.Errorf("%v: the disc's edge is %v, want its colour", ic, edge)
		}
	}
}
