package tray

import (
	"fmt"

	"fyne.io/fyne/v2"

	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// iconSVG draws each icon state as a disc of its own colour with a white
// glyph, so the states differ in colour and in shape.
var iconSVG = map[presenter.Icon]struct{ fill, glyph string }{
	// a check mark
	presenter.IconUpToDate: {"#2e7d32", `<path d="M18 33 L28 43 L47 22" fill="none" stroke="#fff" stroke-width="7" stroke-linecap="round" stroke-linejoin="round"/>`},
	// a down arrow: something to install
	presenter.IconAvailable: {"#1565c0", `<path d="M32 14 V44 M19 32 L32 45 L45 32" fill="none" stroke="#fff" stroke-width="7" stroke-linecap="round" stroke-linejoin="round"/>`},
	// a double chevron up: a new series
	presenter.IconUpgrade: {"#6a1b9a", `<path d="M19 34 L32 21 L45 34 M19 46 L32 33 L45 46" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/>`},
	// an exclamation mark: blocked updates or warnings
	presenter.IconBlocked: {"#ef6c00", `<path d="M32 14 V36" stroke="#fff" stroke-width="8" stroke-linecap="round"/><circle cx="32" cy="48" r="5" fill="#fff"/>`},
	// three quarters of a ring: work in progress
	presenter.IconRunning: {"#00838f", `<path d="M32 15 A17 17 0 1 1 15 32" fill="none" stroke="#fff" stroke-width="7" stroke-linecap="round"/><path d="M15 22 V33 H26" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round" stroke-linejoin="round"/>`},
	// a cross: the last run failed (and was restored)
	presenter.IconFailed: {"#c62828", `<path d="M21 21 L43 43 M43 21 L21 43" stroke="#fff" stroke-width="8" stroke-linecap="round"/>`},
	// a hollow grey ring with a slash: no agent
	presenter.IconUnreachable: {"#757575", `<circle cx="32" cy="32" r="14" fill="none" stroke="#fff" stroke-width="6"/><path d="M18 46 L46 18" stroke="#fff" stroke-width="6" stroke-linecap="round"/>`},
}

// Icon is the picture of an icon state, an SVG resource.
func Icon(i presenter.Icon) fyne.Resource {
	s, ok := iconSVG[i]
	if !ok {
		s = iconSVG[presenter.IconUnreachable]
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">`+
		`<circle cx="32" cy="32" r="30" fill="%s"/>%s</svg>`, s.fill, s.glyph)
	return fyne.NewStaticResource("upkeep-"+i.String()+".svg", []byte(svg))
}
