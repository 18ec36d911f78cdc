package tray

import (
	"bufio"
	"context"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/views"
)

// Targets the window opens on besides the screens.
const (
	// TargetEnforce is the Blocked screen with the enforced-update prompt
	// open, once the agent answered.
	TargetEnforce = "enforce"
	// TargetApplyPatches is the tray menu's "Apply N patches": apply at
	// once when the agent's plan holds exactly those patches, otherwise
	// show the Updates screen for a review.
	TargetApplyPatches = "apply-patches"
)

// ScreenEnforce is TargetEnforce, the pseudo-screen --screen takes.
const ScreenEnforce = TargetEnforce

// WindowApp is the window process: the Upkeep window over a monitor of its
// own that polls the agent while the window is open. Closing the window
// ends the Fyne app, and so the process, and frees all it held.
type WindowApp struct {
	Window  *views.Window
	Monitor *presenter.Monitor
	Snap    presenter.Snapshot
	env     *views.Env
	icon    presenter.Icon
	// pending runs once the agent has answered with a report.
	pending func()
	// tick stops the status line's countdown; nil when none runs.
	tick func()
}

// NewWindowApp builds the window (not shown) over env.
func NewWindowApp(env *views.Env) *WindowApp {
	w := views.NewWindow(env)
	a := &WindowApp{Window: w, env: env, icon: -1}
	a.Monitor = &presenter.Monitor{Client: env.Agent,
		OnChange: func(sn presenter.Snapshot) { env.Do(func() { a.Apply(sn) }) },
	}
	w.OnScanned, w.OnStarted, w.OnEnded, w.OnRetry = a.Monitor.Refresh, a.Monitor.Refresh, a.Monitor.Refresh, a.Monitor.Refresh
	a.Apply(presenter.Snapshot{})
	return a
}

// Start polls the agent until ctx ends.
func (a *WindowApp) Start(ctx context.Context) {
	a.env.Spawn(func() { a.Monitor.Run(ctx) }) //nolint:errcheck // it ends with ctx
}

// Apply shows a snapshot. Call it on the UI thread.
func (a *WindowApp) Apply(sn presenter.Snapshot) {
	a.Snap = sn
	a.Window.Update(sn)
	if a.pending != nil && sn.Conn == presenter.Online && sn.Report != nil {
		do := a.pending
		a.pending = nil
		do()
	}
	if ic := sn.Icon(); ic != a.icon {
		a.icon = ic
		a.Window.Win.SetIcon(Icon(ic))
	}
	a.countdown()
}

// countdown ticks the status line every second while the agent does not
// answer, and stops when it does.
func (a *WindowApp) countdown() {
	switch lost := a.Window.Lost(); {
	case lost && a.tick == nil:
		t, done := time.NewTicker(time.Second), make(chan struct{})
		a.tick = func() { t.Stop(); close(done) }
		go func() {
			for {
				select {
				case now := <-t.C:
					a.env.Do(func() { a.Window.Tick(now) })
				case <-done:
					return
				}
			}
		}()
	case !lost && a.tick != nil:
		a.tick()
		a.tick = nil
	}
}

// Open shows the window on target (a screen, TargetEnforce,
// TargetApplyPatches, or "" for the screen shown) and raises it.
func (a *WindowApp) Open(target string) error {
	switch target {
	case TargetEnforce:
		a.whenReady(func() { a.Window.Review(api.PlanRequest{DisableBlockers: true}) })
		target = views.ScreenBlocked
	case TargetApplyPatches:
		a.whenReady(a.ApplyPatches)
		target = ""
	}
	if target != "" {
		if err := a.Window.Show(target); err != nil {
			return err
		}
	}
	a.Window.Win.Show()
	a.Window.Win.RequestFocus()
	return nil
}

// whenReady runs f once the agent has answered with a report: now, or
// at the first snapshot that has one.
func (a *WindowApp) whenReady(f func()) {
	if a.Snap.Conn == presenter.Online && a.Snap.Report != nil {
		f()
		return
	}
	a.pending = f
}

// Listen opens the window on each target read from r, one a line (the
// tray sends them), and calls done at r's end (the tray went away). Run
// it off the UI thread.
func (a *WindowApp) Listen(r io.Reader, done func()) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		target := strings.TrimSpace(sc.Text())
		a.env.Do(func() {
			if err := a.Open(target); err != nil {
				a.Window.Say(err.Error(), widget.WarningImportance)
			}
		})
	}
	a.env.Do(done)
}

// ApplyPatches applies the agent's plan at once when it holds exactly the
// patches the last scan found, and shows the Run screen; otherwise it
// shows the Updates screen for a review.
func (a *WindowApp) ApplyPatches() {
	var rep *api.Report
	if a.Snap.Report != nil {
		rep = a.Snap.Report.Report
	}
	pa := presenter.PatchActionOf(rep)
	if !pa.Direct {
		a.show(views.ScreenUpdates)
		return
	}
	var (
		plan *api.Plan
		err  error
	)
	a.env.Spawn(func() {
		plan, err = a.env.Agent.Plan(a.env.Ctx, api.PlanRequest{})
		a.env.Do(func() {
			switch {
			case err != nil:
				a.show(views.ScreenUpdates)
				a.Window.Say(presenter.Explain("Apply patches", err), widget.DangerImportance)
			case !presenter.OnlyPatches(plan, pa.N):
				a.show(views.ScreenUpdates)
				a.Window.Say("The agent's plan changed since the last scan: review it before applying.", widget.WarningImportance)
			default:
				a.Window.StartRun("apply", api.PlanRequest{}, plan.Hash)
				a.show(views.ScreenRun)
			}
		})
	})
}

func (a *WindowApp) show(screen string) {
	a.Window.Show(screen) //nolint:errcheck // a known screen
}
