package tray

import (
	"bytes"
	"fmt"
	"image/png"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/systray"

	"github.com/upkeep-erp/upkeep/platform"
)

// iconSize is the side of the tray icon's picture, in pixels.
const iconSize = 64

// SysTray is the system tray through fyne.io/systray, without a running
// Fyne app: the tray process has no window, no GL context and no 60 Hz
// loop. Menu actions and taps run through Do.
type SysTray struct {
	Do func(f func())
	// OnTapped is a click on the icon (not on its menu); optional.
	OnTapped func()
	// OnError is told what could not be shown; optional.
	OnError func(err error)

	mu    sync.Mutex
	ready bool       // Run's tray is up: menu and icon go to it at once
	menu  *fyne.Menu // what to show once it is
	icon  []byte
}

// Run shows the tray and blocks until Quit.
func (t *SysTray) Run(title string) {
	systray.Run(func() {
		systray.SetTitle(title) // some XDG trays fail without one
		systray.SetOnTapped(func() {
			if t.OnTapped != nil {
				t.Do(t.OnTapped)
			}
		})
		t.mu.Lock()
		defer t.mu.Unlock()
		t.ready = true
		if t.icon != nil {
			systray.SetIcon(t.icon)
		}
		if t.menu != nil {
			t.showMenu(t.menu)
		}
	}, nil)
}

// Quit ends Run.
func (t *SysTray) Quit() { systray.Quit() }

// SetSystemTrayMenu replaces the menu.
func (t *SysTray) SetSystemTrayMenu(m *fyne.Menu) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.menu = m
	if t.ready {
		t.showMenu(m)
	}
}

func (t *SysTray) showMenu(m *fyne.Menu) {
	systray.ResetMenu()
	for _, it := range m.Items {
		if it.IsSeparator {
			systray.AddSeparator()
			continue
		}
		item := systray.AddMenuItem(it.Label, "")
		if it.Disabled {
			item.Disable()
		}
		if it.Action != nil {
			go t.clicks(item.ClickedCh, it.Action)
		}
	}
	if len(m.Items) > 0 {
		systray.SetTooltip(m.Items[0].Label) // the status line
	}
}

// clicks runs action for every click, until the item is removed.
func (t *SysTray) clicks(ch <-chan struct{}, action func()) {
	for range ch {
		t.Do(action)
	}
}

// SetSystemTrayIcon draws r (an SVG) as the icon.
func (t *SysTray) SetSystemTrayIcon(r fyne.Resource) {
	pic, err := trayPicture(r)
	if err != nil {
		if t.OnError != nil {
			t.OnError(err)
		}
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.icon = pic
	if t.ready {
		systray.SetIcon(pic)
	}
}

// trayPicture draws r as a PNG in the form the system's tray reads.
func trayPicture(r fyne.Resource) ([]byte, error) {
	img := canvas.NewImageFromResource(r)
	c := software.NewTransparentCanvas()
	c.SetContent(img)
	c.SetPadded(false)
	c.Resize(fyne.NewSquareSize(iconSize))
	var buf bytes.Buffer
	if err := png.Encode(&buf, c.Capture()); err != nil {
		return nil, fmt.Errorf("draw the tray icon %s: %w", r.Name(), err)
	}
	return platform.TrayIcon(buf.Bytes(), iconSize), nil
}
