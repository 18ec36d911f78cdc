package presenter

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// InstalledRow is one installed module on the Installed screen.
type InstalledRow struct {
	Module, Version string
	Repository      string // where its newer versions come from; "" when none is on offer
	Maturity        string // of the newest version on offer; "" when none
	Source          string // where the scan read the installed version (disk, ledger…)
	Held            bool
	HoldReason      string
	// DefaultUpgrade is this instance's override: "inherit", "on" or "off".
	DefaultUpgrade string
	Core           bool
	Note           string // where the disk, the database and the ledger disagree
}

// DefaultUpgradeChoices are the override's values, in the order shown.
var DefaultUpgradeChoices = []string{"inherit", "on", "off"}

// InstalledRows joins the installed modules with the last report (for the
// repository and maturity of what is on offer), the holds and the
// default-upgrade overrides. rep may be nil.
func InstalledRows(mods []api.InstalledModule, rep *api.Report, holds []api.Hold, ov *api.Overrides) []InstalledRow {
	offer := map[string][2]string{}
	source := map[string]string{}
	if rep != nil {
		for _, c := range slices.Concat(rep.Patches, rep.Updates, rep.Upgrades, rep.UpgradeNotices, rep.NotApplicable) {
			if _, ok := offer[c.Module]; !ok {
				offer[c.Module] = [2]string{c.Repository, c.Maturity.String()}
			}
		}
		for _, m := range rep.Installed {
			source[m.Module] = m.Source
		}
	}
	held := map[string]string{}
	for _, h := range holds {
		held[h.Module] = h.Reason
	}
	var out []InstalledRow
	for _, m := range mods {
		r := InstalledRow{Module: m.Module, Version: m.Version, Repository: offer[m.Module][0], Maturity: offer[m.Module][1],
			Source: source[m.Module], Core: m.Core, Note: m.Note, DefaultUpgrade: "inherit"}
		r.HoldReason, r.Held = held[m.Module]
		if ov != nil {
			switch ov.DefaultUpgrade[m.Module] {
			case "true":
				r.DefaultUpgrade = "on"
			case "false":
				r.DefaultUpgrade = "off"
			}
		}
		out = append(out, r)
	}
	return out
}

// DisabledNotes says, for each module Upkeep disabled that is not installed
// now (rep.Disabled), whether a version of it can be installed again. rep
// may be nil.
func DisabledNotes(rep *api.Report) []string {
	if rep == nil {
		return nil
	}
	var out []string
	for _, d := range rep.Disabled {
		s := fmt.Sprintf("%s %s was disabled by Upkeep (its data is kept): ", d.Module, d.Version)
		if d.Offer.Version.IsZero() {
			s += "no version can be installed again as things stand"
		} else {
			s += fmt.Sprintf("%s (%s) can be installed again: upkeep apply --install %s", d.Offer.Version, d.Offer.Maturity, d.Module)
		}
		if len(d.Offer.Reasons) > 0 {
			s += "; " + strings.Join(d.Offer.Reasons, "; ")
		}
		out = append(out, s)
	}
	return out
}

// HoldChange holds or releases one module.
func HoldChange(module string, hold bool) api.HoldsChange {
	if hold {
		return api.HoldsChange{Hold: []api.Hold{{Module: module, Reason: "held from the tray"}}}
	}
	return api.HoldsChange{Unhold: []string{module}}
}

// OverrideChange sets one module's default-upgrade override from a choice
// of DefaultUpgradeChoices.
func OverrideChange(module, choice string) api.OverridesChange {
	v := "inherit"
	switch choice {
	case "on":
		v = "true"
	case "off":
		v = "false"
	}
	return api.OverridesChange{DefaultUpgrade: map[string]string{module: v}}
}

// HistoryRow is one past run on the History screen.
type HistoryRow struct {
	ID, Kind, State, Plan, By string
	Started                   string
	Took                      string
	Failed                    bool
}

// HistoryRows lists runs, newest first as the agent gives them.
func HistoryRows(runs []api.Run, now time.Time) []HistoryRow {
	var out []HistoryRow
	for _, r := range runs {
		h := HistoryRow{ID: r.ID, Kind: r.Kind, State: r.State, Plan: ShortHash(r.PlanHash), By: r.By,
			Started: When(r.Started, now), Failed: Failure(r.State)}
		if r.Ended != nil {
			h.Took = Round(r.Ended.Sub(r.Started)).String()
		}
		out = append(out, h)
	}
	return out
}
