package presenter

import (
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Pick is the change the admin picked on a screen ("Plan this upgrade…",
// "Update blocker…"): the plan the window offers to apply must hold it.
type Pick struct {
	Module, To string
}

// String is "arp 2.0.0".
func (p Pick) String() string { return p.Module + " " + p.To }

// In says whether plan moves the picked module to the picked version.
func (p Pick) In(plan *api.Plan) bool {
	if plan == nil {
		return false
	}
	return slices.ContainsFunc(plan.Changes, func(c api.PlannedChange) bool {
		return c.Module == p.Module && c.To.String() == p.To
	})
}

// Unplanned is what the window says instead of a confirmation when the
// plan for a pick does not hold it: why, and the ways forward.
type Unplanned struct {
	Title   string   // "arp 2.0.0 cannot be applied as things stand"
	Reasons []string // the scan's reasons, in the window's words
	// Disable says that disabling what blocks it may make it applicable:
	// the window offers "Disable blockers…" and a rehearsal that way.
	Disable bool
}

// UnplannedOf explains why plan (made for req) does not hold pick, from the
// scan's reasons in rep (which may be nil) and the plan's own warnings.
func UnplannedOf(pick Pick, req api.PlanRequest, plan *api.Plan, rep *api.Report) Unplanned {
	u := Unplanned{Title: pick.String() + " cannot be applied as things stand", Disable: !req.DisableBlockers}
	if c := candidate(rep, pick); c != nil && c.Why != nil {
		u.Reasons = append(u.Reasons, wordsAll(c.Why.Reasons)...)
		for _, un := range c.Why.Unmet {
			if d := firstBlocked(rep, un.Module); d != nil && d.Why != nil && len(d.Why.Reasons) > 0 {
				u.Reasons = append(u.Reasons, "It needs "+d.Module+" "+d.To.String()+", which is blocked: "+Words(d.Why.Reasons[0]))
			}
		}
	}
	for _, w := range plan.Warnings {
		if !strings.HasPrefix(w, pick.String()+" is not in the plan") {
			u.Reasons = append(u.Reasons, Words(w))
		}
	}
	if len(u.Reasons) == 0 {
		u.Reasons = []string{"The agent's plan does not hold it: check again (the scan may have changed) and see the Blocked screen."}
	}
	if !u.Disable {
		u.Reasons = append(u.Reasons, "Disabling the blockers does not make it applicable either.")
	}
	return u
}

// candidate is the report's offer of pick, among every list.
func candidate(rep *api.Report, pick Pick) *api.Candidate {
	if rep == nil {
		return nil
	}
	for _, list := range [][]api.Candidate{rep.NotApplicable, rep.UpgradeNotices, rep.Upgrades, rep.Updates, rep.Patches} {
		for i, c := range list {
			if c.Module == pick.Module && c.To.String() == pick.To {
				return &list[i]
			}
		}
	}
	return nil
}

// firstBlocked is the first version of module that cannot be applied.
func firstBlocked(rep *api.Report, module string) *api.Candidate {
	for i, c := range rep.NotApplicable {
		if c.Module == module {
			return &rep.NotApplicable[i]
		}
	}
	return nil
}
