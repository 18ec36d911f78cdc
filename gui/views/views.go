// Package views holds the tray's window and screens: structs that keep their Fyne widgets, built from an injected fyne.App.
package views

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// Env is what the screens work with.
type Env struct {
	App   fyne.App
	Agent presenter.Agent
	Ctx   context.Context // ends when the tray quits; default Background
	// Spawn runs f off the UI thread (default: a goroutine) and Do runs f
	// on it (default: fyne.Do). Tests make both run f at once.
	Spawn func(f func())
	Do    func(f func())
	Now   func() time.Time // default time.Now
}

func (e *Env) defaults() {
	if e.Ctx == nil {
		e.Ctx = context.Background()
	}
	if e.Spawn == nil {
		e.Spawn = func(f func()) { go f() }
	}
	if e.Do == nil {
		e.Do = fyne.Do
	}
	if e.Now == nil {
		e.Now = time.Now
	}
}

// background runs work off the UI thread, then done on it.
func (e *Env) background(work func(ctx context.Context), done func()) {
	e.Spawn(func() {
		work(e.Ctx)
		e.Do(done)
	})
}

// Gate says whether the screens' actions may be used, and why not.
type Gate struct {
	Allowed bool
	Why     string // shown on hover (and in the banner) when not allowed
}

// GateOf decides the gate from a snapshot: the agent must answer and the
// caller must be allowed to act; adminGroup names the group to join.
func GateOf(s presenter.Snapshot, adminGroup string) Gate {
	switch {
	case s.Conn != presenter.Online:
		return Gate{Why: "The agent is not connected: the tray reconnects by itself."}
	case !s.CanAct():
		return Gate{Why: presenter.ReadOnlyTip(adminGroup)}
	case s.Running() != nil:
		return Gate{Why: "An apply or rehearsal is running: wait for it to end (see Run)."}
	}
	return Gate{Allowed: true}
}

// ActionButton is a button for an action that needs the right to act:
// when the gate is closed it is disabled and says why on hover.
type ActionButton struct {
	widget.Button
	Tip   string // why it is disabled; "" when enabled
	popup *widget.PopUp
}

// NewActionButton returns an enabled action button.
func NewActionButton(label string, tapped func()) *ActionButton {
	b := &ActionButton{}
	b.Text, b.OnTapped = label, tapped
	b.ExtendBaseWidget(b)
	return b
}

// SetGate enables or disables the button.
func (b *ActionButton) SetGate(g Gate) {
	b.Tip = g.Why
	if g.Allowed {
		b.Tip = ""
		b.Enable()
		return
	}
	b.Disable()
}

// tipWidth is the widest a tip gets before its words wrap.
const tipWidth = 360

// MouseIn shows the tip of a disabled button, inside the window.
func (b *ActionButton) MouseIn(e *desktop.MouseEvent) {
	b.Button.MouseIn(e)
	if !b.Disabled() || b.Tip == "" {
		return
	}
	d := fyne.CurrentApp().Driver()
	c := d.CanvasForObject(b)
	if c == nil {
		return
	}
	tip := wrapped(b.Tip)
	size := fyne.NewSize(min(tipWidth, c.Size().Width), 0)
	tip.Resize(size)
	size.Height = tip.MinSize().Height
	b.popup = widget.NewPopUp(tip, c)
	b.popup.Resize(size)
	b.popup.ShowAtPosition(TipPosition(d.AbsolutePositionForObject(b), b.Size(), b.popup.Size(), c.Size()))
}

// TipPosition places a tip of size tip under a button at pos of size btn,
// or above it when there is no room below, and moves it left as far as
// needed to keep it inside a canvas of size canvas.
func TipPosition(pos fyne.Position, btn, tip, canvas fyne.Size) fyne.Position {
	x := max(0, min(pos.X, canvas.Width-tip.Width))
	y := pos.Y + btn.Height + 2
	if y+tip.Height > canvas.Height {
		y = max(0, pos.Y-tip.Height-2)
	}
	return fyne.NewPos(x, y)
}

// Popup is the tip on screen; nil when none is.
func (b *ActionButton) Popup() *widget.PopUp { return b.popup }

// MouseOut hides the tip.
func (b *ActionButton) MouseOut() {
	b.Button.MouseOut()
	if b.popup != nil {
		b.popup.Hide()
		b.popup = nil
	}
}

// TapLabel is a wrapped label that does something when tapped: the
// sentence beside a tick box, which ticks it.
type TapLabel struct {
	widget.Label
	OnTapped func()
}

// NewTapLabel returns a wrapped label calling tapped when tapped.
func NewTapLabel(text string, tapped func()) *TapLabel {
	l := &TapLabel{OnTapped: tapped}
	l.Text, l.Wrapping = text, fyne.TextWrapWord
	l.ExtendBaseWidget(l)
	return l
}

// Tapped calls OnTapped.
func (l *TapLabel) Tapped(*fyne.PointEvent) {
	if l.OnTapped != nil {
		l.OnTapped()
	}
}

// Cursor is the pointing hand: the sentence can be clicked.
func (l *TapLabel) Cursor() desktop.Cursor { return desktop.PointerCursor }

// wrapped is a label that wraps words.
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// bold is a bold label.
func bold(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// note is a wrapped label of the given importance.
func note(text string, imp widget.Importance) *widget.Label {
	l := wrapped(text)
	l.Importance = imp
	return l
}

// hint is a wrapped italic label for explanations.
func hint(text string) *widget.Label {
	l := wrapped(text)
	l.TextStyle = fyne.TextStyle{Italic: true}
	return l
}

// mono is a monospace, selectable label for output lines; long lines wrap.
func mono(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Selectable = true
	l.Wrapping = fyne.TextWrapWord
	return l
}
