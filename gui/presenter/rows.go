package presenter

import (
	"fmt"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Row is one newer version of an installed module, as the screens list it.
type Row struct {
	Module     string
	To         string // the version offered
	Change     string // "1.3.0 ⟶ 1.4.0"
	Kind       string // patch, update, upgrade
	Maturity   string
	Summary    string
	Repository string
	// Needs says what must happen first, e.g. "update core to 2.50.22 first".
	Needs string
	// OnRequest marks an upgrade the repository does not take by default
	// (default_upgrade = false): only "Plan this upgrade" takes it.
	OnRequest bool
	Note      string // why it is not proposed, or other words from the scan
	Blocked   bool   // it cannot be applied as things stand (see Blocked)
}

// Arrow separates the versions of a change. It is U+27F6: Fyne 2.8.1
// draws U+2192 followed by a space with a stray replacement glyph.
const Arrow = " ⟶ "

func change(from, to catalog.Version) string {
	if from.IsZero() {
		return "new" + Arrow + to.String()
	}
	return from.String() + Arrow + to.String()
}

// Step is one step of a plan: the changes applied together, with one
// update of the ERP.
type Step struct {
	Title   string   // "Step 1 of 2"; "" when the plan has a single step
	Changes []string // "core 2.50.20 ⟶ 2.50.22 (update), 2 scripts"
}

// TargetSteps are the report's proposed changes, step by step.
func TargetSteps(r *api.Report) []Step {
	if r == nil {
		return nil
	}
	var s stepper
	for _, c := range r.Target {
		s.add(c.Stage, fmt.Sprintf("%s %s (%s)", c.Module, change(c.From, c.To), c.Kind))
	}
	return s.steps()
}

// stepper groups change lines by step, in the order of the steps.
type stepper struct {
	stages []int
	lines  map[int][]string
}

func (s *stepper) add(stage int, line string) {
	if s.lines == nil {
		s.lines = map[int][]string{}
	}
	if _, ok := s.lines[stage]; !ok {
		s.stages = append(s.stages, stage)
	}
	s.lines[stage] = append(s.lines[stage], line)
}

func (s *stepper) steps() []Step {
	slices.Sort(s.stages)
	out := make([]Step, 0, len(s.stages))
	for i, st := range s.stages {
		step := Step{Changes: s.lines[st]}
		if len(s.stages) > 1 {
			step.Title = fmt.Sprintf("Step %d of %d", i+1, len(s.stages))
		}
		out = append(out, step)
	}
	return out
}

// UpdateRows are the patches and updates that can be applied, patches first.
func UpdateRows(r *api.Report) []Row {
	if r == nil {
		return nil
	}
	var out []Row
	for _, c := range slices.Concat(r.Patches, r.Updates) {
		out = append(out, Row{Module: c.Module, To: c.To.String(), Change: change(c.From, c.To), Kind: c.Kind.String(),
			Maturity: c.Maturity.String(), Summary: c.Summary, Repository: c.Repository})
	}
	return out
}

// SelectedRequest is the plan request that applies the Updates rows the
// admin ticked (ticked[i] for rows[i]): those modules' changes alone, with
// what they need (the agent adds, say, the newer core a module depends on);
// patches alone when every ticked row is a patch, so that ticking a
// module's patch does not take its update too. Nothing ticked: the whole
// plan.
func SelectedRequest(rows []Row, ticked []bool) api.PlanRequest {
	var req api.PlanRequest
	patches := true
	for i, r := range rows {
		if i >= len(ticked) || !ticked[i] {
			continue
		}
		if !slices.Contains(req.Modules, r.Module) {
			req.Modules = append(req.Modules, r.Module)
		}
		patches = patches && r.Kind == catalog.KindPatch.String()
	}
	req.PatchesOnly = patches && len(req.Modules) > 0
	return req
}

// UpgradeRows are the upgrades, shown apart: those proposed, those taken
// only on request (OnRequest), and those blocked as things stand, each
// with what it needs first.
func UpgradeRows(r *api.Report) []Row {
	if r == nil {
		return nil
	}
	var out []Row
	for _, c := range r.Upgrades {
		row := Row{Module: c.Module, To: c.To.String(), Change: change(c.From, c.To), Kind: c.Kind.String(), Maturity: c.Maturity.String(),
			Summary: c.Summary, Repository: c.Repository, Note: Words(c.Notice)}
		if c.Path != nil {
			row.Needs = Words(c.Path.Text)
		}
		out = append(out, row)
	}
	for _, c := range r.UpgradeNotices {
		row := Row{Module: c.Module, To: c.To.String(), Change: change(c.From, c.To), Kind: c.Kind.String(), Maturity: c.Maturity.String(),
			Summary: c.Summary, Repository: c.Repository, OnRequest: true, Note: Words(c.Notice), Blocked: c.Stage == 0}
		if c.Path != nil {
			row.Needs = Words(c.Path.Text)
		} else if c.Why != nil {
			row.Needs = strings.Join(wordsAll(c.Why.Reasons), "; ")
		}
		out = append(out, row)
	}
	for _, c := range r.NotApplicable {
		if c.Kind != catalog.KindUpgrade {
			continue
		}
		row := Row{Module: c.Module, To: c.To.String(), Change: change(c.From, c.To), Kind: c.Kind.String(), Maturity: c.Maturity.String(),
			Summary: c.Summary, Repository: c.Repository, Blocked: true}
		if c.Path != nil {
			row.Needs = Words(c.Path.Text)
		} else if c.Why != nil && len(c.Why.Reasons) > 0 {
			row.Needs = Words(c.Why.Reasons[0])
		}
		out = append(out, row)
	}
	return out
}

// BlockedRow is one version that cannot be applied as things stand.
type BlockedRow struct {
	Row
	Reasons  []string // in words, from the scan
	Blockers []BlockerRow
	// Disable is the smallest set of installed modules to disable so that
	// it applies; empty when disabling does not help.
	Disable    []string
	Resolvable bool
}

// BlockerRow is an installed module whose dependency excludes the version.
type BlockerRow struct {
	Module, Version, Needs string
	// WayOut is a newer version of the blocker that accepts the candidate
	// ("upgrade arp to 2.0.0, which accepts core 3.0.0"); empty when none.
	WayOut string
	WayTo  string // that newer version
	// Upgrade is true when that way out is an upgrade taken only on request:
	// "Update blocker" plans it with include_upgrades.
	Upgrade bool
	Held    bool
}

// BlockedRows are the not applicable versions with their reasons and blockers.
func BlockedRows(r *api.Report) []BlockedRow {
	if r == nil {
		return nil
	}
	var out []BlockedRow
	for _, c := range r.NotApplicable {
		b := BlockedRow{Row: Row{Module: c.Module, To: c.To.String(), Change: change(c.From, c.To), Kind: c.Kind.String(),
			Maturity: c.Maturity.String(), Summary: c.Summary, Repository: c.Repository, Blocked: true}}
		if w := c.Why; w != nil {
			b.Reasons = wordsAll(w.Reasons)
			b.Resolvable = w.Resolvable != nil && *w.Resolvable
			for _, d := range w.Disable {
				b.Disable = append(b.Disable, d.Module)
			}
			for _, bl := range w.Blockers {
				br := BlockerRow{Module: bl.Module, Version: bl.Version.String(), Needs: bl.Needs, Held: bl.Held}
				if bl.WayOut != nil {
					br.WayOut, br.WayTo, br.Upgrade = Words(bl.WayOut.Text), bl.WayOut.To.String(), bl.WayOut.OnRequest
				}
				b.Blockers = append(b.Blockers, br)
			}
		}
		out = append(out, b)
	}
	return out
}

// UpdateBlocker is what "Update blocker…" plans: the blocker's way out
// alone (with what it needs), its upgrade included when that is taken only
// on request; the plan shown must hold the picked version.
func UpdateBlocker(b BlockerRow) (api.PlanRequest, Pick) {
	req := api.PlanRequest{Modules: []string{b.Module}}
	if b.Upgrade {
		req.IncludeUpgrades = []string{b.Module}
	}
	return req, Pick{Module: b.Module, To: b.WayTo}
}

// PlanUpgrade is what "Plan this upgrade…" plans: that module's upgrade
// alone (with what it needs).
func PlanUpgrade(r Row) (api.PlanRequest, Pick) {
	return api.PlanRequest{IncludeUpgrades: []string{r.Module}, Modules: []string{r.Module}}, Pick{Module: r.Module, To: r.To}
}

// PlanSteps describe a plan's changes for a person, step by step (the
// disables apart: see Prompt.Disable).
func PlanSteps(p *api.Plan) []Step {
	if p == nil {
		return nil
	}
	var s stepper
	for _, c := range p.Changes {
		line := fmt.Sprintf("%s %s (%s)", c.Module, change(c.From, c.To), c.Kind)
		if n := len(c.Pre) + len(c.Post); n > 0 {
			line += ", " + plural(n, "script", "scripts")
		}
		s.add(c.Stage, line)
	}
	return s.steps()
}

// ShortHash is the first 12 characters of a plan hash.
func ShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
