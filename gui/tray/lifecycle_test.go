package tray_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
	"github.com/upkeep-erp/upkeep/gui/tray"
	"github.com/upkeep-erp/upkeep/gui/views"
)

// windowLog, in the environment, makes this test program a stand-in for
// the window process (a real process with the real pipe): it logs
// "PID TARGET" for its first target (its arguments) and each one read,
// ends when it reads "close" (the user closed the window) or at the end of
// its input (the tray went away), and then logs "PID end".
const windowLog = "UPKEEP_TRAY_TEST_WINDOW_LOG"

func TestMain(m *testing.M) {
	if path := os.Getenv(windowLog); path != "" {
		standInWindow(path, os.Args[len(os.Args)-1])
		return
	}
	os.Exit(m.Run())
}

func standInWindow(path, target string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	fmt.Fprintln(f, os.Getpid(), target)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() && sc.Text() != "close" {
		fmt.Fprintln(f, os.Getpid(), sc.Text())
	}
	fmt.Fprintln(f, os.Getpid(), "end")
}

// standIns is a Launcher of stand-in window processes logging to a file.
func standIns(t *testing.T) (*tray.Launcher, func() []string, chan error) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "windows.log")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exits := make(chan error, 4)
	l := &tray.Launcher{
		Command: func(target string) *exec.Cmd {
			cmd := exec.Command(exe, "-test.run=^$", "--", "target:"+target)
			cmd.Env = append(os.Environ(), windowLog+"="+log)
			return cmd
		},
		OnExit: func(err error) { exits <- err },
	}
	t.Cleanup(func() { l.Close() })
	lines := func() []string {
		data, _ := os.ReadFile(log)
		return strings.Fields(strings.ReplaceAll(string(data), "\n", " | "))
	}
	return l, lines, exits
}

// logged waits until the stand-ins' log has n lines and returns them as
// [pid, what] pairs.
func logged(t *testing.T, lines func() []string, n int) [][2]string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out [][2]string
		f := lines()
		for i := 0; i+1 < len(f); i += 3 { // "PID WHAT |"
			out = append(out, [2]string{f[i], f[i+1]})
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window processes logged %q, want %d lines", f, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClosingTheWindowLeavesTheTrayWhichOpensANewOne(t *testing.T) {
	l, lines, exits := standIns(t)
	agent := presentertest.NewDemo()
	d := &deskApp{App: newApp(t)}
	s := tray.New(inline(d, agent), d, l)
	quit := false
	s.Quit = func() { quit = true }
	s.Monitor.Step(context.Background())

	d.item("Open Upkeep…").Action()
	first := logged(t, lines, 1)[0]
	if first[1] != "target:" || !l.Running() {
		t.Fatalf("first window: %v, running %v", first, l.Running())
	}
	// While it runs, targets go to it: no second window process.
	d.item("Apply 1 patch…").Action()
	if got := logged(t, lines, 2)[1]; got != [2]string{first[0], tray.TargetApplyPatches} {
		t.Fatalf("second target reached %v, want the same process %s", got, first[0])
	}
	// The user closes the window: its process ends, the tray goes on.
	if err := l.Open("close"); err != nil {
		t.Fatal(err)
	}
	if err := <-exits; err != nil {
		t.Fatalf("the window process ended with %v", err)
	}
	if l.Running() || quit {
		t.Fatalf("after the window closed: running %v, tray quit %v", l.Running(), quit)
	}
	agent.Set(func(a *presentertest.Agent) { a.Stat.Running = nil })
	s.Monitor.Step(context.Background())
	if d.item("Open Upkeep…") == nil {
		t.Fatalf("the tray's menu is gone: %q", d.labels())
	}
	if got := logged(t, lines, 3)[2]; got != [2]string{first[0], "end"} {
		t.Fatalf("the closed window logged %v", got)
	}
	// Opening again starts a new window process.
	d.item("Open Upkeep…").Action()
	again := logged(t, lines, 4)[3]
	if again[0] == first[0] || again[1] != "target:" {
		t.Fatalf("reopened: %v (the first was %s)", again, first[0])
	}
	// Quitting the tray ends the window with it.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := logged(t, lines, 5)[4]; got != [2]string{again[0], "end"} {
		t.Errorf("after Close: %v", got)
	}
	if l.Running() {
		t.Error("a window process still runs after Close")
	}
}

// runningApp is the Fyne test app with a Run that lasts until Quit, as a
// real app's does.
type runningApp struct {
	fyne.App
	once sync.Once
	quit chan struct{}
}

func (a *runningApp) Run()  { <-a.quit }
func (a *runningApp) Quit() { a.once.Do(func() { close(a.quit) }) }

// locked is an Env whose UI work runs under mu, as on a UI thread, and
// whose other work runs on goroutines that the test waits for when it
// ends: a screen's load must not outlive its test and race the next one.
func locked(t *testing.T, app fyne.App, agent *presentertest.Agent, mu *sync.Mutex) *views.Env {
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	spawn := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	return &views.Env{App: app, Agent: agent, Ctx: context.Background(), Spawn: spawn,
		Do: func(f func()) { mu.Lock(); defer mu.Unlock(); f() }}
}

// startWindow runs a window process's app on a test app; the channel
// gets Run's error when it returns.
func startWindow(t *testing.T, screen string, in io.Reader, mu *sync.Mutex) (*tray.WindowApp, chan error) {
	t.Helper()
	app := &runningApp{App: newApp(t), quit: make(chan struct{})}
	mu.Lock()
	w := tray.NewWindowApp(locked(t, app, presentertest.NewDemo(), mu))
	mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- w.Run(tray.Options{Screen: screen}, in) }()
	return w, done
}

func ended(t *testing.T, done chan error, why string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", why, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the window process goes on", why)
	}
}

func TestTheWindowProcessShowsWhatTheTraySendsAndEndsWithItsWindow(t *testing.T) {
	var mu sync.Mutex
	screen := func(w *tray.WindowApp) string {
		mu.Lock()
		defer mu.Unlock()
		return views.Screens[w.Window.Tabs.SelectedIndex()]
	}
	pr, pw := io.Pipe()
	w, done := startWindow(t, views.ScreenHistory, pr, &mu)
	deadline := time.Now().Add(10 * time.Second)
	for screen(w) != views.ScreenHistory && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintln(pw, views.ScreenSettings)
	for screen(w) != views.ScreenSettings && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := screen(w); got != views.ScreenSettings {
		t.Fatalf("after the tray asked for settings: %s", got)
	}
	mu.Lock()
	w.Window.Win.Close() // the user closes the window
	mu.Unlock()
	ended(t, done, "closing the window")

	// A new window process works the same, and ends when the tray goes away.
	pr2, pw2 := io.Pipe()
	w2, done2 := startWindow(t, "", pr2, &mu)
	fmt.Fprintln(pw2, views.ScreenInstalled)
	for screen(w2) != views.ScreenInstalled && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := screen(w2); got != views.ScreenInstalled {
		t.Fatalf("the second window shows %s", got)
	}
	pw2.Close()
	ended(t, done2, "the tray went away")
}
