package tray

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
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

	mu      sync.Mutex
	ready   bool       // Run's tray is up: menu and icon go to it at once
	menu    *fyne.Menu // what to show once it is
	icon    []byte
	tooltip string
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
	if t.tooltip != "" {
		systray.SetTooltip(t.tooltip)
	} else if len(m.Items) > 0 {
		systray.SetTooltip(m.Items[0].Label) // the status line
	}
}

// SetTooltip replaces the tooltip (the menu's first line sets it too).
func (t *SysTray) SetTooltip(text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tooltip = text
	if t.ready {
		systray.SetTooltip(text)
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

// supersample is how many times larger the icon is drawn before it is
// shrunk to iconSize, so its edge is smooth and keeps its colour.
const supersample = 4

// trayPicture draws r as a PNG in the form the system's tray reads.
func trayPicture(r fyne.Resource) ([]byte, error) {
	img := canvas.NewImageFromResource(r)
	c := software.NewTransparentCanvas()
	c.SetContent(img)
	c.SetPadded(false)
	c.Resize(fyne.NewSquareSize(iconSize * supersample))
	var buf bytes.Buffer
	if err := png.Encode(&buf, shrink(c.Capture(), supersample)); err != nil {
		return nil, fmt.Errorf("draw the tray icon %s: %w", r.Name(), err)
	}
	return platform.TrayIcon(buf.Bytes(), iconSize), nil
}

// shrink averages each f×f block of src into one pixel, weighting colours
// by their alpha: an edge pixel gets the colour of what covers it (a
// rasterizer's premultiplied edge, read back, gives near-transparent
// pixels a wrong hue that some trays show). Pixels under 1/32 opaque
// become fully transparent, as trays that drop alpha would show them.
func shrink(src image.Image, f int) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()/f, b.Dy()/f))
	for y := range dst.Rect.Dy() {
		for x := range dst.Rect.Dx() {
			var r, g, bl, a uint64
			for dy := range f {
				for dx := range f {
					c := color.RGBAModel.Convert(src.At(b.Min.X+x*f+dx, b.Min.Y+y*f+dy)).(color.RGBA)
					r, g, bl, a = r+uint64(c.R), g+uint64(c.G), bl+uint64(c.B), a+uint64(c.A)
				}
			}
			n := uint64(f * f)
			if a*32 < n*255 {
				continue
			}
			dst.SetNRGBA(x, y, color.NRGBA{R: uint8(min(255, r*255/a)), G: uint8(min(255, g*255/a)), B: uint8(min(255, bl*255/a)), A: uint8(a / n)})
		}
	}
	return dst
}
