package tray_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
	"github.com/upkeep-erp/upkeep/gui/tray"
	"github.com/upkeep-erp/upkeep/gui/views"
	"github.com/upkeep-erp/upkeep/platform"
)

// The tests of this file each hold one of issue 18's tray defects.

// recorder is the tray's outside world: the system tray (with a tooltip),
// the notifications (with their actions) and the window, safe for the
// monitor's goroutine.
type recorder struct {
	mu      sync.Mutex
	icon    string
	menu    *fyne.Menu
	tooltip string
	sent    []string       // notification titles
	chosen  []func(string) // each notification's action callback
	opened  []string       // the window's targets
	changed chan struct{}  // a signal after every change
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 100)} }

func (r *recorder) note(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}
func (r *recorder) SetSystemTrayMenu(m *fyne.Menu)    { r.note(func() { r.menu = m }) }
func (r *recorder) SetSystemTrayIcon(i fyne.Resource) { r.note(func() { r.icon = i.Name() }) }
func (r *recorder) SetTooltip(s string)               { r.note(func() { r.tooltip = s }) }
func (r *recorder) Open(target string) error {
	r.note(func() { r.opened = append(r.opened, target) })
	return nil
}
func (r *recorder) Notify(title, _ string, actions []platform.NotifyAction, chosen func(string)) error {
	r.note(func() { r.sent = append(r.sent, title); r.chosen = append(r.chosen, chosen) })
	return nil
}

// waitFor waits up to d for cond, checked after every change.
func (r *recorder) waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.After(d)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-r.changed:
		case <-deadline:
			return false
		}
	}
}

// TestBrokenStreamIsALostAgentAtOnce: when the agent dies, its event
// stream breaks; the tray checks at once and shows it lost (icon, menu) with
// a notification, rather than at its next slow poll, minutes later.
func TestBrokenStreamIsALostAgentAtOnce(t *testing.T) {
	agent := presentertest.NewDemo()
	agent.Fail("Runs", nil)
	agent.Set(func(a *presentertest.Agent) { a.EventList = []api.Event{{ID: 1, At: time.Now(), Kind: "nothing-new"}} })
	r := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	env := &views.Env{App: newApp(t), Agent: agent, Ctx: ctx, Do: func(f func()) { mu.Lock(); defer mu.Unlock(); f() }}
	s := tray.New(env, r, r)
	s.Notifier = r
	s.Monitor.Slow = 10 * time.Minute // the slow poll must not be what notices
	s.Start(ctx)
	if !r.waitFor(5*time.Second, func() bool { return r.icon == "upkeep-available.svg" }) {
		t.Fatalf("the tray never showed the agent's state: icon %s", r.icon)
	}
	agent.Break()
	if !r.waitFor(5*time.Second, func() bool { return r.icon == "upkeep-unreachable.svg" }) {
		t.Fatalf("5 s after the agent died the icon is still %s", r.icon)
	}
	if !r.waitFor(2*time.Second, func() bool { return len(r.sent) > 0 && r.sent[len(r.sent)-1] == "Upkeep: the agent is not answering" }) {
		t.Errorf("no notification that the agent is lost: %q", r.sent)
	}
	r.mu.Lock()
	labels := menuLabels(r.menu)
	r.mu.Unlock()
	if !strings.HasPrefix(labels[0], "Agent unreachable: next try at ") || labels[1] != "Retry now" {
		t.Errorf("menu %q: want the lost state and Retry now", labels)
	}
}

// TestRetryNowAndTheTooltipCountdown: while the agent does not answer, the
// menu offers Retry now (a poll at once) and the tooltip counts down.
func TestRetryNowAndTheTooltipCountdown(t *testing.T) {
	agent := presentertest.NewDemo()
	agent.Fail("Status", &api.UnreachableError{Path: "/run/upkeep/upkeep.sock"})
	r := newRecorder()
	s := tray.New(inline(newApp(t), agent), r, r)
	var tick func()
	s.Every = func(d time.Duration, f func()) func() {
		if d != time.Second {
			t.Errorf("the countdown ticks every %v", d)
		}
		tick = f
		return func() { tick = nil }
	}
	s.Monitor.Init()
	for range 4 { // 1, 2, 4, then 8 s to wait
		s.Monitor.Step(context.Background())
	}
	if tick == nil || !strings.HasPrefix(r.tooltip, "Agent unreachable: retrying in 8s") {
		t.Fatalf("tooltip %q, countdown running %v", r.tooltip, tick != nil)
	}
	time.Sleep(1100 * time.Millisecond)
	tick()
	if !strings.HasPrefix(r.tooltip, "Agent unreachable: retrying in 7s") {
		t.Errorf("a second later the tooltip says %q", r.tooltip)
	}
	retry := findItem(r.menu, "Retry now")
	if retry == nil {
		t.Fatalf("no Retry now in %q", menuLabels(r.menu))
	}
	agent.Fail("Status", nil)
	retry.Action()
	s.Monitor.Step(context.Background()) // what the refresh wakes
	if tick != nil || findItem(r.menu, "Retry now") != nil {
		t.Errorf("after the agent answered: countdown running %v, menu %q", tick != nil, menuLabels(r.menu))
	}
}

// TestNotificationsOpenTheWindow: a notification carries an Open action,
// which opens the window on what it is about; a passed rehearsal is one.
func TestNotificationsOpenTheWindow(t *testing.T) {
	agent := presentertest.NewDemo()
	r := newRecorder()
	s := tray.New(inline(newApp(t), agent), r, r)
	s.Notifier = r
	s.Monitor.Init()
	s.Monitor.Step(context.Background())
	agent.Set(func(a *presentertest.Agent) {
		a.EventList = []api.Event{{ID: 9, At: time.Now(), Kind: "rehearsal-passed", Notify: true, Summary: "Rehearsal 8 passed on the copy"}}
	})
	s.Monitor.Step(context.Background())
	if len(r.sent) != 1 || r.sent[0] != "Upkeep: rehearsal passed" {
		t.Fatalf("notifications %q", r.sent)
	}
	r.chosen[0]("open")
	if strings.Join(r.opened, ",") != views.ScreenRun {
		t.Errorf("Open opened the window on %q, want the run screen", r.opened)
	}
}
