package tray

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"fyne.io/fyne/v2"

	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/views"
	"github.com/upkeep-erp/upkeep/platform"
)

// Options are upkeep-tray's command line.
type Options struct {
	Socket string    // the agent's local API socket ("" for the default)
	Screen string    // the target to open the window on at start ("" for none)
	Size   fyne.Size // the window's size (zero for the default)
}

// CheckTarget says what is wrong with a target --screen was given.
func CheckTarget(target string) error {
	if target == "" || target == TargetEnforce || target == TargetApplyPatches || slices.Contains(views.Screens, target) {
		return nil
	}
	return fmt.Errorf("no screen %q: choose one of %s, %s or %s", target, strings.Join(views.Screens, ", "), TargetEnforce, TargetApplyPatches)
}

// RunTray runs the tray process until the menu's Quit, SIGINT or SIGTERM:
// the tray over agent, and the window through window (a process of its
// own) on "Open Upkeep…", a click on the icon, or o.Screen at start.
func RunTray(app fyne.App, agent presenter.Agent, o Options, window func(target string) *exec.Cmd) error {
	if err := CheckTarget(o.Screen); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	do := serial(ctx)
	st := &SysTray{Do: do, OnError: func(err error) { fmt.Fprintln(os.Stderr, "upkeep-tray:", err) }}
	l := &Launcher{Command: window, OnExit: func(err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "upkeep-tray: the window:", err)
		}
	}}
	s := New(&views.Env{App: app, Agent: agent, Ctx: ctx, Do: do}, st, l)
	s.Quit, st.OnTapped = st.Quit, func() { s.Open("") }
	if n, err := platform.NewNotifier("Upkeep"); err == nil {
		defer n.Close()
		s.Notifier = n
	}
	if o.Screen != "" {
		s.Open(o.Screen)
	}
	s.Start(ctx)
	defer context.AfterFunc(ctx, st.Quit)()
	st.Run("Upkeep")
	return l.Close()
}

// serial returns a Do that runs functions one at a time, in order, on a
// goroutine of its own, until ctx ends: the tray process's UI thread.
func serial(ctx context.Context) func(f func()) {
	ch := make(chan func(), 64)
	go func() {
		for {
			select {
			case f := <-ch:
				f()
			case <-ctx.Done():
				return
			}
		}
	}()
	return func(f func()) {
		select {
		case ch <- f:
		case <-ctx.Done():
		}
	}
}

// WindowCommand is the window process for RunTray: this program again
// with --window, the socket and the size, its output beside the tray's.
func WindowCommand(o Options) (func(target string) *exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find upkeep-tray's own program for the window: %w", err)
	}
	return func(target string) *exec.Cmd {
		args := []string{"--window"}
		if o.Socket != "" {
			args = append(args, "--socket", o.Socket)
		}
		if o.Size.Width > 0 {
			args = append(args, "--size", fmt.Sprintf("%gx%g", o.Size.Width, o.Size.Height))
		}
		if target != "" {
			args = append(args, "--screen", target)
		}
		cmd := exec.Command(exe, args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		return cmd
	}, nil
}

// RunWindow runs the window process: the window over env, open on
// o.Screen, then on each target read from in (the tray sends them). It
// returns when the window is closed or in ends (the tray went away).
func RunWindow(env *views.Env, o Options, in io.Reader) error {
	if err := CheckTarget(o.Screen); err != nil {
		return err
	}
	if env.Ctx == nil {
		env.Ctx = context.Background()
	}
	return NewWindowApp(env).Run(o, in)
}

// Run shows the window on o.Screen, follows the agent and the targets read
// from in (nil: none), and runs the Fyne app until the window is closed
// or in ends.
func (a *WindowApp) Run(o Options, in io.Reader) error {
	ctx, cancel := context.WithCancel(a.env.Ctx)
	defer cancel()
	app := a.env.App
	var err error
	a.env.Do(func() { // before app.Run, fyne.Do runs it at once
		if o.Size.Width > 0 {
			a.Window.Win.Resize(o.Size)
		}
		a.Window.Win.SetOnClosed(app.Quit) // nothing else to show: the process ends
		err = a.Open(o.Screen)
	})
	if err != nil {
		return err
	}
	a.Start(ctx)
	if in != nil {
		go a.Listen(in, app.Quit)
	}
	app.Run()
	return nil
}
