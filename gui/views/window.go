package views

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// The screens' names, as --screen and Show take them.
const (
	ScreenUpdates   = "updates"
	ScreenUpgrades  = "upgrades"
	ScreenBlocked   = "blocked"
	ScreenInstalled = "installed"
	ScreenRun       = "run"
	ScreenHistory   = "history"
	ScreenSettings  = "settings"
)

// Screens lists the screens in tab order.
var Screens = []string{ScreenUpdates, ScreenUpgrades, ScreenBlocked, ScreenInstalled, ScreenRun, ScreenHistory, ScreenSettings}

// Window is the Upkeep window: a banner (connection, read-only), the
// screens as tabs, the last action's message and the status line.
type Window struct {
	Win     fyne.Window
	Tabs    *container.AppTabs
	Banner  *widget.Label
	Message *widget.Label
	Status  *widget.Label
	Check   *ActionButton
	// Retry tries to reach the agent now; shown while it does not answer.
	Retry *widget.Button

	Updates   *Updates
	Upgrades  *Upgrades
	Blocked   *Blocked
	Installed *Installed
	Run       *RunScreen
	History   *History
	Settings  *Settings
	// Prompt is the plan confirmation on screen, if any; Unplanned what
	// shows instead when the plan does not hold the change picked.
	Prompt    *Confirm
	Unplanned *Unplanned
	// OnScanned, OnStarted and OnEnded are called after a scan, after a
	// run started and when the run followed ended; OnRetry by Retry now
	// (the shell polls the agent again).
	OnScanned, OnStarted, OnEnded, OnRetry func()

	env  *Env
	snap presenter.Snapshot
	gate Gate
	// msgTab is the screen the message was said on: it goes when another
	// screen is chosen.
	msgTab int
	// requests are the plan requests of the runs started here, by plan
	// hash: "Apply this plan now" after a rehearsal plans the same again.
	requests map[string]api.PlanRequest
}

// NewWindow builds the window (not shown) over env.
func NewWindow(env *Env) *Window {
	env.defaults()
	w := &Window{env: env, Win: env.App.NewWindow("Upkeep"), requests: map[string]api.PlanRequest{}}
	w.Banner = note("", widget.WarningImportance)
	w.Banner.Hide()
	w.Message = note("", widget.MediumImportance)
	w.Message.Hide()
	w.Status = widget.NewLabel("Connecting to the Upkeep agent…")
	w.Status.Truncation = fyne.TextTruncateEllipsis
	w.Check = NewActionButton("Check now", w.CheckNow)
	w.Retry = widget.NewButton("Retry now", func() {
		if w.OnRetry != nil {
			w.OnRetry()
		}
	})
	w.Retry.Hide()
	w.Updates, w.Upgrades, w.Blocked = newUpdates(w), newUpgrades(w), newBlocked(w)
	w.Installed, w.Run, w.History, w.Settings = newInstalled(w), newRunScreen(w), newHistory(w), newSettings(w)
	w.Tabs = container.NewAppTabs(
		container.NewTabItem("Updates", w.Updates.root),
		container.NewTabItem("Upgrades", w.Upgrades.root),
		container.NewTabItem("Blocked", w.Blocked.root),
		container.NewTabItem("Installed", w.Installed.root),
		container.NewTabItem("Run", w.Run.root),
		container.NewTabItem("History", w.History.root),
		container.NewTabItem("Settings", w.Settings.root),
	)
	w.Tabs.OnSelected = func(*container.TabItem) {
		if w.Tabs.SelectedIndex() != w.msgTab {
			w.Say("", widget.MediumImportance) // it was about another screen
		}
		w.loadSelected()
	}
	top := container.NewBorder(nil, nil, nil, container.NewVBox(w.Retry), w.Banner)
	bottom := container.NewVBox(w.Message, container.NewBorder(nil, nil, nil, w.Check, w.Status))
	w.Win.SetContent(container.NewBorder(top, bottom, nil, nil, w.Tabs))
	w.Win.Resize(fyne.NewSize(1000, 680))
	w.Update(presenter.Snapshot{})
	return w
}

// Show selects a screen by name.
func (w *Window) Show(screen string) error {
	for i, s := range Screens {
		if s == screen {
			w.Tabs.SelectIndex(i)
			return nil
		}
	}
	return fmt.Errorf("no screen %q: choose one of %s", screen, strings.Join(Screens, ", "))
}

// Update shows a new snapshot; call it on the UI thread.
func (w *Window) Update(s presenter.Snapshot) {
	prev := w.snap
	s = w.Run.settle(s)
	w.snap = s
	w.gate = GateOf(s, w.Settings.adminGroup)
	w.Tick(w.env.Now())
	w.Check.SetGate(w.gate)
	lost := s.Conn == presenter.Offline || s.Conn == presenter.Refused
	w.Retry.Hidden = !lost
	switch {
	case lost:
		w.setBanner(explainConn(s))
	case s.Conn == presenter.Online && !s.CanAct():
		w.setBanner(presenter.ReadOnlyTip(w.Settings.adminGroup) + " Until then you can look but not act.")
	default:
		w.setBanner("")
	}
	reportChanged := reportID(prev) != reportID(s) || prev.Report != s.Report
	if reportChanged || prev.Conn != s.Conn {
		w.Updates.show(s.Report)
		w.Upgrades.show(s.Report)
		w.Blocked.show(s.Report)
	}
	w.Updates.setGate(w.gate)
	w.Upgrades.setGate(w.gate)
	w.Blocked.setGate(w.gate)
	w.Installed.setGate(w.gate)
	w.Settings.setGate(w.gate)
	w.Run.update(s)
	if s.Conn == presenter.Online && prev.Conn != presenter.Online {
		w.Settings.Load() // its api.admin_group names the group in the read-only tips
	}
	if s.Conn == presenter.Online && (prev.Conn != presenter.Online || reportChanged) {
		w.loadSelected()
	}
}

// Tick shows the status line at now: while the agent does not answer, it
// counts down to the next attempt (the window process calls it every second
// then).
func (w *Window) Tick(now time.Time) {
	w.Status.SetText(w.snap.StatusLineAt(now))
}

// Lost says whether the agent does not answer (the countdown runs).
func (w *Window) Lost() bool {
	return w.snap.Conn == presenter.Offline || w.snap.Conn == presenter.Refused
}

func explainConn(s presenter.Snapshot) string {
	if s.Conn == presenter.Refused {
		return fmt.Sprintf("The agent refused the connection: %v", s.Err)
	}
	var ue *api.UnreachableError
	if errors.As(s.Err, &ue) {
		return fmt.Sprintf("The Upkeep agent is not answering at %s: is the upkeep service running (upkeep service start)? The tray keeps trying by itself.", ue.Path)
	}
	return fmt.Sprintf("The Upkeep agent is not answering (%v). The tray keeps trying by itself.", s.Err)
}

// noReport says why a screen has no report to show.
func (w *Window) noReport() string {
	if w.snap.Conn != presenter.Online {
		return "Not connected to the agent yet."
	}
	return "No scan has been saved yet: choose Check now."
}

func reportID(s presenter.Snapshot) int64 {
	if s.Report == nil {
		return 0
	}
	return s.Report.ID
}

func (w *Window) setBanner(text string) {
	w.Banner.SetText(text)
	if text == "" {
		w.Banner.Hide()
	} else {
		w.Banner.Show()
	}
}

// Say shows the outcome of the last action (imp: its tone) until another
// screen is chosen; "" hides it.
func (w *Window) Say(text string, imp widget.Importance) {
	w.msgTab = w.Tabs.SelectedIndex()
	w.Message.Importance = imp
	w.Message.SetText(text)
	if text == "" {
		w.Message.Hide()
	} else {
		w.Message.Show()
	}
}

// sayErr reports a failed action in words.
func (w *Window) sayErr(what string, err error) {
	imp := widget.DangerImportance
	if presenter.Classify(err) == presenter.NotAvailable {
		imp = widget.WarningImportance
	}
	w.Say(presenter.Explain(what, err), imp)
}

// loadSelected reloads the screen on view when it reads on its own.
func (w *Window) loadSelected() {
	if w.snap.Conn != presenter.Online {
		return
	}
	switch Screens[w.Tabs.SelectedIndex()] {
	case ScreenInstalled:
		w.Installed.Load()
	case ScreenHistory:
		w.History.Load()
	case ScreenSettings:
		w.Settings.Load()
	}
}

// CheckNow scans now.
func (w *Window) CheckNow() {
	w.Say("Checking the repositories…", widget.MediumImportance)
	var err error
	w.env.background(func(ctx context.Context) { _, err = w.env.Agent.Scan(ctx, api.ScanRequest{}) }, func() {
		if err != nil {
			w.sayErr("Check now", err)
			return
		}
		w.Say("Checked: the repositories were scanned.", widget.SuccessImportance)
		if w.OnScanned != nil {
			w.OnScanned()
		}
	})
}
