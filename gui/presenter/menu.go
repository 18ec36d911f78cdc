package presenter

import (
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Icon is the tray icon's state; each has its own picture.
type Icon int

// The icon states, from the least to the most urgent.
const (
	IconUpToDate    Icon = iota // nothing to do
	IconUpgrade                 // only upgrades are on offer
	IconBlocked                 // updates that cannot be applied as things stand, or warnings
	IconAvailable               // patches or updates can be applied
	IconFailed                  // the last run failed and was restored
	IconRunning                 // an apply or rehearsal is running
	IconUnreachable             // no agent (or not connected yet)
)

var iconNames = []string{"up-to-date", "upgrade", "blocked", "available", "failed", "running", "unreachable"}

// String is the icon's file-friendly name, e.g. "up-to-date".
func (i Icon) String() string {
	if i < 0 || int(i) >= len(iconNames) {
		return fmt.Sprintf("icon(%d)", int(i))
	}
	return iconNames[i]
}

// Icons lists every icon state.
func Icons() []Icon {
	out := make([]Icon, len(iconNames))
	for i := range out {
		out[i] = Icon(i)
	}
	return out
}

// Icon picks the icon: unreachable, then running, then a failed last run,
// then what can be applied, then what is blocked, then upgrades.
func (s Snapshot) Icon() Icon {
	switch {
	case s.Conn != Online:
		return IconUnreachable
	case s.Running() != nil:
		return IconRunning
	case s.LastFailed():
		return IconFailed
	}
	c := Count(s.report())
	switch {
	case c.Patches+c.Updates > 0:
		return IconAvailable
	case c.Blocked+c.Warnings > 0:
		return IconBlocked
	case c.Upgrades > 0:
		return IconUpgrade
	}
	return IconUpToDate
}

// MenuID names a tray menu line.
type MenuID int

// The tray menu's lines.
const (
	MenuStatus       MenuID = iota // the one-line status (never enabled)
	MenuCheck                      // scan now
	MenuOpen                       // open the window
	MenuApplyPatches               // apply the patches (or review them, see PatchAction)
	MenuRetry                      // while the agent does not answer: try again now
	MenuQuit
)

// MenuLine is one line of the tray menu.
type MenuLine struct {
	ID      MenuID
	Label   string
	Enabled bool
}

// Menu is the tray menu: status, Retry now (while the agent does not
// answer), Check now, Open Upkeep…, Apply N patches (when there are any),
// Quit. The status line names the next attempt's time rather than a
// countdown, which a menu cannot keep up to date (the tooltip counts down).
func (s Snapshot) Menu() []MenuLine {
	status := s.StatusLine()
	if s.Conn == Offline || s.Conn == Refused {
		status = s.lostLine()
	}
	lines := []MenuLine{{ID: MenuStatus, Label: status}}
	if s.Conn == Offline || s.Conn == Refused {
		lines = append(lines, MenuLine{ID: MenuRetry, Label: "Retry now", Enabled: true})
	}
	lines = append(lines,
		MenuLine{ID: MenuCheck, Label: "Check now", Enabled: s.CanAct() && s.Running() == nil},
		MenuLine{ID: MenuOpen, Label: "Open Upkeep…", Enabled: true})
	if pa := PatchActionOf(s.report()); pa.N > 0 {
		lines = append(lines, MenuLine{ID: MenuApplyPatches, Label: pa.Label, Enabled: s.CanAct() && s.Running() == nil})
	}
	return append(lines, MenuLine{ID: MenuQuit, Label: "Quit", Enabled: true})
}

// PatchAction is what the menu's "Apply N patches" does.
type PatchAction struct {
	N     int    // patches on offer
	Label string // "Apply 1 patch", or "Apply 1 patch…" when it needs a review
	// Direct is true when the agent's default plan holds only these patches,
	// so the menu can apply it at once; otherwise the plan also holds
	// updates or upgrades and the menu opens the Updates screen instead.
	Direct bool
}

// PatchActionOf decides the menu's patch line from a report.
func PatchActionOf(r *api.Report) PatchAction {
	if r == nil || len(r.Patches) == 0 {
		return PatchAction{}
	}
	pa := PatchAction{N: len(r.Patches), Direct: true}
	for _, c := range r.Target {
		if c.Kind != catalog.KindPatch {
			pa.Direct = false
		}
	}
	pa.Label = "Apply " + plural(pa.N, "patch", "patches")
	if !pa.Direct {
		pa.Label += "…"
	}
	return pa
}

// OnlyPatches says whether a plan changes nothing but n patches: what the
// menu checks before applying it without a review.
func OnlyPatches(p *api.Plan, n int) bool {
	if p == nil || len(p.Disable) > 0 || len(p.Changes) != n {
		return false
	}
	for _, c := range p.Changes {
		if c.Kind != catalog.KindPatch {
			return false
		}
	}
	return true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
