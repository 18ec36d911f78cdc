package schedule

import (
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Input is what Decide looks at after a scan.
type Input struct {
	Report *scan.Report
	// Plan is the report's plan; nil when the report proposes nothing (or
	// planning failed).
	Plan            *scan.Plan
	Policy          Policy
	InWindow        bool            // a maintenance window is open now
	Seen            map[string]bool // news keys recorded before (see Keys)
	Staged          bool            // Plan is staged already
	RehearsalPassed bool            // Plan's hash passed a rehearsal
}

// Decision is what to do now.
type Decision struct {
	News          []store.Event // the report's news not recorded before
	Action        Action        // what the policy allows for Plan as a whole
	Stage         bool          // download and stage Plan
	Apply         bool          // apply Plan now
	Rehearse      bool          // with Apply: rehearse first, apply only if it passes
	WaitForWindow bool          // Plan will be applied in the next maintenance window
	Why           string        // when Plan is not applied now: why, in words
}

// Keys returns the news keys Decide looks up in Input.Seen: the report's
// news and the plan's earlier failures.
func Keys(r *scan.Report, p *scan.Plan) []string {
	var keys []string
	for _, e := range News(r) {
		keys = append(keys, e.NewsKey)
	}
	if p != nil {
		keys = append(keys, failureKeys(p)...)
	}
	return keys
}

// failureKeys are the keys of events after which a plan is never applied
// silently again: it failed, or its rehearsal did.
func failureKeys(p *scan.Plan) []string {
	return []string{store.EventFailedRestored + ":" + p.Hash, store.EventRestoreFailed + ":" + p.Hash,
		store.EventRehearsalFailed + ":" + p.Hash}
}

// PlanAction is what the policy allows for a whole plan: the most cautious
// action among its changes. Only a plan of patches and (with security =
// "apply") security fixes alone, disabling nothing, can be applied silently.
func PlanAction(p *scan.Plan, pol Policy) Action {
	if p == nil || len(p.Changes) == 0 || len(p.Disable) > 0 {
		return Notify
	}
	a := Apply
	for _, c := range p.Changes {
		a = min(a, pol.ForChange(c))
	}
	return a
}

// Decide returns what to do after a scan. It is pure: the caller records
// the news, stages, rehearses and applies as told.
func Decide(in Input) Decision {
	var d Decision
	for _, e := range News(in.Report) {
		if !in.Seen[e.NewsKey] {
			d.News = append(d.News, e)
		}
	}
	p := in.Plan
	if p == nil || len(p.Changes) == 0 {
		d.Why = "nothing to apply"
		return d
	}
	d.Action = PlanAction(p, in.Policy)
	d.Stage = d.Action >= Stage && !in.Staged
	if d.Action < Apply {
		d.Why = notAppliedWhy(p, in.Policy)
		return d
	}
	for _, k := range failureKeys(p) {
		if in.Seen[k] {
			d.Why = fmt.Sprintf("this plan was tried before (%s); it waits for a person", k[:len(k)-len(p.Hash)-1])
			return d
		}
	}
	if !in.InWindow {
		d.WaitForWindow = true
		d.Why = "it waits for the maintenance window"
		return d
	}
	d.Apply = true
	d.Rehearse = in.Policy.RequireRehearsal && !in.RehearsalPassed
	return d
}

// notAppliedWhy explains a plan the policy does not apply silently.
func notAppliedWhy(p *scan.Plan, pol Policy) string {
	if len(p.Disable) > 0 {
		return "the plan disables modules, which the schedule never does on its own: apply it by hand"
	}
	others := 0
	for _, c := range p.Changes {
		if pol.ForChange(c) < Apply {
			others++
		}
	}
	if (pol.Patches == Apply || pol.Security == Apply) && others > 0 {
		return fmt.Sprintf("the plan holds %d change(s) other than patches and security fixes, which the schedule never applies on its own: "+
			"apply the plan by hand, or hold those modules so the patches can go alone", others)
	}
	return fmt.Sprintf("the policy says %s for %s", PlanAction(p, pol), planWords(p))
}
