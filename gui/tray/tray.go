// Package tray is the Upkeep tray: the system tray icon, menu and desktop notifications, kept up to date from the agent's event stream, and the window, a process of its own that ends when it is closed.
package tray

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/views"
	"github.com/upkeep-erp/upkeep/platform"
)

// Preference keys that carry the notifications already sent between sessions.
const (
	prefNewsKeys  = "news.keys"
	prefNewsSince = "news.since"
)

// Tray is the system tray: *SysTray, or a desktop.App.
type Tray interface {
	SetSystemTrayMenu(m *fyne.Menu)
	SetSystemTrayIcon(r fyne.Resource)
}

// Tooltip is a tray that shows a tooltip apart from its menu: *SysTray.
// While the agent does not answer, the tooltip counts down to the next try.
type Tooltip interface {
	SetTooltip(text string)
}

// Notifier sends a desktop notification with actions: *platform.Notifier.
type Notifier interface {
	Notify(title, body string, actions []platform.NotifyAction, chosen func(key string)) error
}

// openActions are every notification's actions: a click on it, or Open.
var openActions = []platform.NotifyAction{{Key: "default", Label: "Open"}, {Key: "open", Label: "Open"}}

// Opener opens the window on a target (a screen, TargetEnforce,
// TargetApplyPatches or "" for the screen last shown): *Launcher.
type Opener interface {
	Open(target string) error
}

// Shell is the running tray. It holds no window: Window opens one, as a
// process of its own, and closing it leaves the tray running. While no
// window is open the monitor follows the agent's events and does not poll.
type Shell struct {
	// App gives the preferences and sends the notifications; the tray
	// process never runs it (a running Fyne app redraws 60 times a second).
	App     fyne.App
	Tray    Tray // nil where there is none
	Window  Opener
	Monitor *presenter.Monitor
	Menu    *fyne.Menu
	Snap    presenter.Snapshot
	// Quit ends the tray (the menu's Quit).
	Quit func()
	// Notifier sends notifications with an Open action; nil: plain ones
	// through App.
	Notifier Notifier
	// Every calls f every d until stop is called (the tooltip's countdown
	// while the agent does not answer); default a ticker through env.Do.
	Every func(d time.Duration, f func()) (stop func())
	lines []presenter.MenuLine
	env   *views.Env
	icon  presenter.Icon
	tick  func() // stops the countdown; nil when none runs
}

// New builds the shell over env (whose Do must run functions one at a
// time: the tray process has no Fyne loop), with its tray icon and menu.
func New(env *views.Env, tr Tray, window Opener) *Shell {
	s := &Shell{App: env.App, Tray: tr, Window: window, env: env, icon: -1, Quit: func() {}}
	if env.Ctx == nil {
		env.Ctx = context.Background()
	}
	if env.Spawn == nil {
		env.Spawn = func(f func()) { go f() }
	}
	prefs := env.App.Preferences()
	s.Monitor = &presenter.Monitor{Client: env.Agent, Follow: true,
		News:     presenter.NewNews(prefs.StringList(prefNewsKeys), int64(prefs.Int(prefNewsSince))),
		OnChange: func(sn presenter.Snapshot) { env.Do(func() { s.Apply(sn) }) },
	}
	s.Monitor.OnNotify = func(n presenter.Notification) {
		keys, since := s.Monitor.News.Keys(), s.Monitor.News.Since // on the monitor's goroutine, which owns News
		env.Do(func() { s.notify(n, keys, since) })
	}
	s.Every = func(d time.Duration, f func()) func() {
		t := time.NewTicker(d)
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-t.C:
					env.Do(f)
				case <-done:
					return
				}
			}
		}()
		return func() { t.Stop(); close(done) }
	}
	s.Apply(presenter.Snapshot{})
	return s
}

// Start follows the agent until ctx ends.
func (s *Shell) Start(ctx context.Context) {
	s.env.Spawn(func() { s.Monitor.Run(ctx) }) //nolint:errcheck // it ends with ctx
}

// Apply shows a snapshot: tray icon and menu. Call it through env.Do.
func (s *Shell) Apply(sn presenter.Snapshot) {
	s.Snap = sn
	if ic := sn.Icon(); ic != s.icon && s.Tray != nil {
		s.icon = ic
		s.Tray.SetSystemTrayIcon(Icon(ic))
	}
	s.countdown(sn.Conn == presenter.Offline || sn.Conn == presenter.Refused)
	lines := sn.Menu()
	if slices.Equal(lines, s.lines) {
		return
	}
	s.lines = lines
	s.Menu = s.buildMenu(lines)
	if s.Tray != nil {
		s.Tray.SetSystemTrayMenu(s.Menu)
	}
}

// countdown keeps the tooltip counting down to the next attempt while the
// agent does not answer (the menu names its time: a menu cannot tick).
func (s *Shell) countdown(lost bool) {
	tip, ok := s.Tray.(Tooltip)
	switch {
	case !ok:
	case lost && s.tick == nil:
		s.tick = s.Every(time.Second, func() { tip.SetTooltip(s.Snap.StatusLine()) })
	case !lost && s.tick != nil:
		s.tick()
		s.tick = nil
	}
	if ok {
		tip.SetTooltip(s.Snap.StatusLine())
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
		return s.CheckNow
	case presenter.MenuOpen:
		return func() { s.Open("") }
	case presenter.MenuApplyPatches:
		// The window checks the agent's plan and applies at once when it
		// holds exactly the patches, or shows Updates for a review.
		return func() { s.Open(TargetApplyPatches) }
	case presenter.MenuRetry:
		return s.Monitor.Refresh
	case presenter.MenuQuit:
		return func() { s.Quit() }
	}
	return func() {}
}

// Open opens the window on target; a failure is a notification.
func (s *Shell) Open(target string) {
	if err := s.Window.Open(target); err != nil {
		s.App.SendNotification(fyne.NewNotification("Upkeep: the window did not open", err.Error()))
	}
}

// CheckNow asks the agent to scan (the menu's Check now); the outcome
// comes as an event, a failure as a notification.
func (s *Shell) CheckNow() {
	s.env.Spawn(func() {
		_, err := s.env.Agent.Scan(s.env.Ctx, api.ScanRequest{})
		s.Monitor.Refresh()
		if err != nil {
			s.env.Do(func() {
				s.App.SendNotification(fyne.NewNotification("Upkeep: Check now failed", presenter.Explain("Check now", err)))
			})
		}
	})
}

// notify sends a desktop notification, with an Open action when it can,
// and saves what was announced.
func (s *Shell) notify(n presenter.Notification, keys []string, since int64) {
	open := func(string) { s.env.Do(func() { s.Open(n.Open) }) }
	if s.Notifier == nil || s.Notifier.Notify(n.Title, n.Body, openActions, open) != nil {
		s.App.SendNotification(fyne.NewNotification(n.Title, n.Body))
	}
	prefs := s.App.Preferences()
	prefs.SetStringList(prefNewsKeys, keys)
	prefs.SetInt(prefNewsSince, int(since))
}
