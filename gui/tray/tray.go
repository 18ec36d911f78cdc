// Package tray is the Upkeep tray shell: the system tray icon and menu, desktop notifications and the window, kept up to date by the presenter's monitor.
package tray

import (
	"context"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/views"
)

// Preference keys that carry the notifications already sent between sessions.
const (
	prefNewsKeys  = "news.keys"
	prefNewsSince = "news.since"
)

// Shell is the running tray.
type Shell struct {
	App     fyne.App
	Window  *views.Window
	Monitor *presenter.Monitor
	Menu    *fyne.Menu
	// Desk is the system tray, nil where the driver has none.
	Desk  desktop.App
	Snap  presenter.Snapshot
	lines []presenter.MenuLine
	env   *views.Env
	icon  presenter.Icon
	// pending runs once the agent has answered with a report (OpenAtStart).
	pending func()
}

// ScreenEnforce is the pseudo-screen OpenAtStart takes for the Blocked
// screen with the enforced-update prompt open.
const ScreenEnforce = "enforce"

// OpenAtStart opens the window on screen ("enforce": the Blocked screen
// and its enforced-update prompt, once the agent answered). With no
// screen the window opens only where there is no system tray.
func (s *Shell) OpenAtStart(screen string) error {
	switch {
	case screen == ScreenEnforce:
		s.pending = func() { s.Window.Review(api.PlanRequest{DisableBlockers: true}) }
		return s.Open(views.ScreenBlocked)
	case screen != "":
		return s.Open(screen)
	case s.Desk == nil:
		return s.Open("")
	}
	return nil
}

// New builds the shell over env: the window, the monitor and, where the
// driver has one, the system tray icon and menu.
func New(env *views.Env) *Shell {
	w := views.NewWindow(env)
	s := &Shell{App: env.App, Window: w, env: env, icon: -1}
	prefs := env.App.Preferences()
	s.Monitor = &presenter.Monitor{Client: env.Agent,
		News:     presenter.NewNews(prefs.StringList(prefNewsKeys), int64(prefs.Int(prefNewsSince))),
		OnChange: func(sn presenter.Snapshot) { env.Do(func() { s.Apply(sn) }) },
	}
	s.Monitor.OnNotify = func(n presenter.Notification) {
		keys, since := s.Monitor.News.Keys(), s.Monitor.News.Since // on the monitor's goroutine, which owns News
		env.Do(func() { s.notify(n, keys, since) })
	}
	w.OnScanned, w.OnStarted = s.Monitor.Refresh, s.Monitor.Refresh
	w.Win.SetIcon(Icon(presenter.IconUpToDate))
	if desk, ok := env.App.(desktop.App); ok {
		s.Desk = desk
		w.Win.SetCloseIntercept(w.Win.Hide) // the tray keeps running
	}
	s.Apply(presenter.Snapshot{})
	if s.Desk != nil {
		s.Desk.SetSystemTrayWindow(w.Win) // a click on the icon shows the window
	}
	return s
}

// Start polls the agent until ctx ends.
func (s *Shell) Start(ctx context.Context) {
	s.env.Spawn(func() { s.Monitor.Run(ctx) }) //nolint:errcheck // it ends with ctx
}

// Apply shows a snapshot: tray icon, menu and window. Call it on the UI thread.
func (s *Shell) Apply(sn presenter.Snapshot) {
	s.Snap = sn
	s.Window.Update(sn)
	if s.pending != nil && sn.Conn == presenter.Online && sn.Report != nil {
		do := s.pending
		s.pending = nil
		do()
	}
	if ic := sn.Icon(); ic != s.icon {
		s.icon = ic
		s.Window.Win.SetIcon(Icon(ic))
		if s.Desk != nil {
			s.Desk.SetSystemTrayIcon(Icon(ic))
		}
	}
	lines := sn.Menu()
	if slices.Equal(lines, s.lines) {
		return
	}
	s.lines = lines
	s.Menu = s.buildMenu(lines)
	if s.Desk != nil {
		s.Desk.SetSystemTrayMenu(s.Menu)
	}
}

func (s *Shell) buildMenu(lines []presenter.MenuLine) *fyne.Menu {
	items := make([]*fyne.MenuItem, 0, len(lines)+1)
	for _, l := range lines {
		item := fyne.NewMenuItem(l.Label, s.action(l.ID))
		item.Disabled = !l.Enabled
		if l.ID == presenter.MenuQuit {
			item.IsQuit = true
			items = append(items, fyne.NewMenuItemSeparator())
		}
		items = append(items, item)
	}
	return fyne.NewMenu("Upkeep", items...)
}

func (s *Shell) action(id presenter.MenuID) func() {
	switch id {
	case presenter.MenuCheck:
		return s.Window.CheckNow
	case presenter.MenuOpen:
		return func() { s.Open("") }
	case presenter.MenuApplyPatches:
		return s.ApplyPatches
	case presenter.MenuQuit:
		return s.App.Quit
	}
	return func() {}
}

// Open shows the window, on screen if it is not "".
func (s *Shell) Open(screen string) error {
	if screen != "" {
		if err := s.Window.Show(screen); err != nil {
			return err
		}
	}
	s.Window.Win.Show()
	s.Window.Win.RequestFocus()
	return nil
}

// ApplyPatches is the menu's "Apply N patches": when the agent's plan holds
// exactly those patches it applies it at once and shows the Run screen;
// otherwise it opens the Updates screen for a review.
func (s *Shell) ApplyPatches() {
	var rep *api.Report
	if s.Snap.Report != nil {
		rep = s.Snap.Report.Report
	}
	pa := presenter.PatchActionOf(rep)
	if !pa.Direct {
		s.Open(views.ScreenUpdates) //nolint:errcheck // a known screen
		return
	}
	var (
		plan *api.Plan
		err  error
	)
	s.env.Spawn(func() {
		plan, err = s.env.Agent.Plan(s.env.Ctx, api.PlanRequest{})
		s.env.Do(func() {
			switch {
			case err != nil:
				s.Window.Say(presenter.Explain("Apply patches", err), widget.DangerImportance)
				s.Open(views.ScreenUpdates) //nolint:errcheck // a known screen
			case !presenter.OnlyPatches(plan, pa.N):
				s.Window.Say("The agent's plan changed since the last scan: review it before applying.", widget.WarningImportance)
				s.Open(views.ScreenUpdates) //nolint:errcheck // a known screen
			default:
				s.Window.StartRun("apply", api.PlanRequest{}, plan.Hash)
				s.Open(views.ScreenRun) //nolint:errcheck // a known screen
			}
		})
	})
}

// notify sends a desktop notification and saves what was announced.
func (s *Shell) notify(n presenter.Notification, keys []string, since int64) {
	s.App.SendNotification(fyne.NewNotification(n.Title, n.Body))
	prefs := s.App.Preferences()
	prefs.SetStringList(prefNewsKeys, keys)
	prefs.SetInt(prefNewsSince, int(since))
}
