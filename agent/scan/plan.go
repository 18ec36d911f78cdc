package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// PlanSchema is the version of the Plan JSON schema.
const PlanSchema = 1

// PlanOptions are the administrator's choices on top of the scan's policy.
type PlanOptions struct {
	// IncludeUpgrades names installed modules whose upgrades to take even
	// though their default_upgrade is false.
	IncludeUpgrades []string `json:"include_upgrades,omitempty"`
	// DisableBlockers enforces updates: for every installed module, in
	// dependency order, the highest proposable version that cannot be
	// applied is taken if disabling a set of modules allows it, and that
	// smallest set is disabled.
	DisableBlockers bool `json:"disable_blockers,omitempty"`
	// PatchesOnly plans the installed modules' patches alone: no update,
	// upgrade or new module, whatever else the scan proposes. Silent
	// applies use it, so that a pending update does not hold a patch back.
	// It goes with neither IncludeUpgrades nor DisableBlockers.
	PatchesOnly bool `json:"patches_only,omitempty"`
	// Modules, when not empty, keeps only these modules' changes (and
	// disables) of the plan the other options give, with the changes they
	// need: the modules their new versions depend on (a newer core), and
	// the modules that must move or be disabled with them. A name the plan
	// does not change is an *UnplannedError.
	Modules []string `json:"modules,omitempty"`
	// UpdateAll makes the plan's last update step update every installed
	// module (the ERP's --update=all), as the classic procedure asks after a patch.
	UpdateAll bool `json:"update_all,omitempty"`
}

// Plan is the exact set of changes to apply, with a stable hash: the same
// scan inputs and options give the same plan and hash.
type Plan struct {
	Schema int    `json:"schema"` // PlanSchema
	Hash   string `json:"hash"`   // sha256 of the canonical encoding of Disable and Changes
	// Disable lists the modules to disable before the first change.
	Disable []Disable `json:"disable"`
	// Enable lists disabled modules to enable again (their code is in
	// place and their data kept): upkeep enable's plans only.
	Enable []Disable `json:"enable,omitempty"`
	// Changes are ordered by step, then dependencies first; a step's changes
	// are applied (and the ERP updated) before the next step's.
	Changes  []PlannedChange `json:"changes"`
	Warnings []string        `json:"warnings"`
	// UpdateAll: the last stage's update updates every installed module,
	// asked by PlanOptions.UpdateAll or by a planned release (update_all).
	UpdateAll bool `json:"update_all,omitempty"`
}

// PlannedChange is one module's move, with what the agent needs to apply it.
type PlannedChange struct {
	Stage      int                `json:"stage"`
	Module     string             `json:"module"`
	From       catalog.Version    `json:"from,omitzero"` // zero for a new module
	To         catalog.Version    `json:"to"`
	Kind       catalog.ChangeKind `json:"kind"`
	Repository string             `json:"repository"`
	Archive    catalog.ArchiveRef `json:"archive"`
	// Pre and Post are the target archive's migration scripts that apply
	// (Script.AppliesTo(From, To)), ordered by To then Path; none for a new module.
	Pre  []catalog.Script `json:"pre"`
	Post []catalog.Script `json:"post"`
	// Fixes are the security advisories the change closes (not hashed: an
	// advisory added later does not change what is applied).
	Fixes []catalog.Advisory `json:"fixes,omitempty"`
	// Includes are the proposable patches between From and To that the
	// change takes in passing, oldest first (not hashed: it only explains).
	Includes []catalog.Version `json:"includes,omitempty"`
}

// Plan turns the scan into a plan. With no options it is the report's
// target; options scan again from the same inputs.
func (r *Report) Plan(opts PlanOptions) (*Plan, error) {
	if r == nil || r.in == nil {
		return nil, errors.New("this report cannot be planned from: it was read back from a file, not scanned now; scan again and plan from that scan")
	}
	if opts.PatchesOnly && (opts.DisableBlockers || len(opts.IncludeUpgrades) > 0) {
		return nil, errors.New("a plan of patches alone cannot include upgrades or disable blockers: drop --include-upgrades and --disable-blockers, or plan more than patches")
	}
	in, err := r.in.withUpgrades(opts.IncludeUpgrades)
	if err != nil {
		return nil, err
	}
	sc, ok := newScanner(in, nil)
	disabled := map[int]string{}
	if opts.DisableBlockers {
		sc, ok, disabled = sc.enforce()
	}
	if opts.PatchesOnly {
		ok = sc.patchesOnly()
	}
	if !ok {
		return nil, errors.New("no consistent set of changes could be found within the search limit; plan fewer changes (drop --disable-blockers or --include-upgrades) and report the case")
	}
	return sc.planned(opts, disabled)
}

// planned lists the solved steps' changes as a plan, narrowed to
// opts.Modules when it names some, with its warnings and hash.
func (sc *scanner) planned(opts PlanOptions, disabled map[int]string) (*Plan, error) {
	upgrades := opts.IncludeUpgrades
	var notes []string
	if len(opts.Modules) > 0 {
		var err error
		if notes, err = sc.subset(opts.Modules, disabled); err != nil {
			return nil, err
		}
		upgrades = slices.DeleteFunc(slices.Clone(upgrades), func(m string) bool { return !slices.Contains(opts.Modules, m) })
	}
	pl := sc.plan(disabled)
	pl.Warnings = dedupe(append(pl.Warnings, sc.p.warnings...))
	pl.Warnings = append(pl.Warnings, sc.missedUpgrades(upgrades)...)
	pl.Warnings = append(pl.Warnings, notes...)
	pl.UpdateAll = (opts.UpdateAll || pl.UpdateAll) && !pl.Empty()
	pl.Hash = pl.hash()
	return pl, nil
}

// withUpgrades returns the inputs with more modules' upgrades requested.
func (in *inputs) withUpgrades(mods []string) (*inputs, error) {
	if len(mods) == 0 {
		return in, nil
	}
	for _, name := range mods {
		if !slices.ContainsFunc(in.installed, func(i Installed) bool { return i.Module == name }) {
			return nil, fmt.Errorf("cannot include upgrades of %s: it is not installed; install it with --install %s instead", name, name)
		}
	}
	out := *in
	out.pol = clonePolicy(in.pol)
	out.pol.Upgrades = append(out.pol.Upgrades, mods...)
	return &out, nil
}

// patchesOnly solves again with only the installed modules' patches
// proposable; it reports whether every step was solved.
func (sc *scanner) patchesOnly() bool {
	for k := range sc.p.mods {
		m := &sc.p.mods[k]
		for j := m.cur + 1; j < len(m.vals); j++ {
			if m.vals[j].kind != catalog.KindPatch {
				m.vals[j].policy = false
			}
		}
	}
	var ok bool
	sc.ctxs, ok = sc.p.solveStages(sc.s, sc.c)
	return ok
}

// enforce disables blockers, module by module in decision order, and
// solves again with the enforced targets.
func (sc *scanner) enforce() (*scanner, bool, map[int]string) {
	sc.classifyAll()
	p := sc.p
	w := sc.newWorker()
	c := newConstraints(len(p.mods))
	why := map[int]string{}
	final := sc.final()
	for _, k := range p.order {
		j := sc.highestBlocked(k)
		if j <= final[k] {
			continue
		}
		r := newDiagnoser(p, c).diagnose(k, j)
		if !r.ok {
			continue
		}
		for _, d := range r.disable {
			c.disabled[d] = true
			why[d] = "for " + p.mv(k, j) + ": " + w.reasonText(d, sc.reasonCode(d, r.sol))
		}
		c.goal[k] = j
	}
	next, ok := newScanner(sc.in, c)
	if !ok {
		clear(c.goal)
		next, ok = newScanner(sc.in, c)
		next.p.warnf("the enforced versions could not all be reached in consistent steps; the plan disables the blockers and takes what then fits")
	}
	return next, ok, why
}

// highestBlocked returns installed module k's highest proposable version
// that cannot be applied, or 0.
func (sc *scanner) highestBlocked(k int) int {
	m := &sc.p.mods[k]
	if m.kind != kindInstalled || m.held {
		return 0
	}
	for j := len(m.vals) - 1; j > m.cur; j-- {
		if m.vals[j].policy && !m.vals[j].dead && sc.stage[k][j] == 0 {
			return j
		}
	}
	return 0
}

// missedUpgrades warns about requested upgrades the plan could not take.
func (sc *scanner) missedUpgrades(mods []string) []string {
	var out []string
	p := sc.p
	final := sc.final()
	for _, name := range mods {
		k := p.byName[name]
		m := &p.mods[k]
		top := len(m.vals) - 1
		if top > m.cur && m.vals[top].kind == catalog.KindUpgrade && final[k] != top && !m.held {
			out = append(out, fmt.Sprintf("%s is not in the plan: it cannot be applied as things stand (see the scan's reasons); add --disable-blockers to disable what blocks it",
				p.mv(k, top)))
		}
		if m.held {
			out = append(out, fmt.Sprintf("%s is held, so its upgrades are not planned; release the hold first", name))
		}
	}
	return out
}

// plan lists the target's changes, step by step, dependencies first.
func (sc *scanner) plan(disabled map[int]string) *Plan {
	p := sc.p
	pl := &Plan{Schema: PlanSchema, Disable: []Disable{}, Changes: []PlannedChange{}, Warnings: []string{}}
	for d, why := range disabled {
		m := &p.mods[d]
		pl.Disable = append(pl.Disable, Disable{Module: m.name, Version: m.vals[m.cur].ver, Reason: why})
	}
	slicesSortBy(pl.Disable, func(d Disable) string { return d.Module })
	for i, ctx := range sc.ctxs {
		var changed []int
		for _, k := range sc.installedAndNewByName() {
			if ctx.sol[k] != ctx.floor[k] && ctx.sol[k] != 0 {
				changed = append(changed, k)
			}
		}
		for _, k := range p.topo(changed, func(k int) []int { return p.depsOfValue(k, ctx.sol[k]) }) {
			pl.Changes = append(pl.Changes, sc.plannedChange(i+1, k, ctx.floor[k], ctx.sol[k]))
			if rel := p.mods[k].vals[ctx.sol[k]].rel; rel != nil && rel.updateAll() {
				pl.UpdateAll = true
				pl.Warnings = append(pl.Warnings, p.mv(k, ctx.sol[k])+" requires the update of every installed module")
			}
		}
	}
	return pl
}

// installedAndNewByName returns every module index, sorted by name.
func (sc *scanner) installedAndNewByName() []int {
	out := make([]int, len(sc.p.mods))
	for k := range out {
		out[k] = k
	}
	slices.SortFunc(out, func(a, b int) int { return strings.Compare(sc.p.mods[a].name, sc.p.mods[b].name) })
	return out
}

// depsOfValue returns the modules value v of module k depends on.
func (p *problem) depsOfValue(k, v int) []int {
	var out []int
	for _, d := range p.mods[k].vals[v].deps {
		if d.to >= 0 && !d.waived {
			out = append(out, d.to)
		}
	}
	return out
}

// plannedChange describes module k moving from value f to value t.
func (sc *scanner) plannedChange(stage, k, f, t int) PlannedChange {
	c := sc.change(stage, k, f, t)
	set, rel := sc.p.idx.set, sc.p.mods[k].vals[t].rel
	pc := PlannedChange{Stage: stage, Module: c.Module, From: c.From, To: c.To, Kind: c.Kind, Repository: c.Repository,
		Archive: set.archive(rel), Pre: []catalog.Script{}, Post: []catalog.Script{}}
	if f == 0 {
		return pc
	}
	if len(set.infos) > 0 {
		pc.Fixes = sc.p.idx.fixesBetween(c.Module, c.From, c.To)
	}
	pc.Includes = sc.includedPatches(k, c.From, c.To)
	for _, s := range set.scriptsOf(rel) {
		if !s.AppliesTo(c.From, c.To) {
			continue
		}
		if s.Phase == "pre" {
			pc.Pre = append(pc.Pre, s)
		} else {
			pc.Post = append(pc.Post, s)
		}
	}
	byToPath := func(a, b catalog.Script) int {
		if n := a.To.Compare(b.To); n != 0 {
			return n
		}
		return strings.Compare(a.Path, b.Path)
	}
	slices.SortFunc(pc.Pre, byToPath)
	slices.SortFunc(pc.Post, byToPath)
	return pc
}

// includedPatches returns module k's proposable patches strictly between
// from and to, oldest first: the versions a scan lists that the change
// to to takes in passing.
func (sc *scanner) includedPatches(k int, from, to catalog.Version) []catalog.Version {
	var out []catalog.Version
	for _, v := range sc.p.mods[k].vals {
		if v.kind == catalog.KindPatch && v.policy && v.ver.Compare(from) > 0 && v.ver.Compare(to) < 0 {
			out = append(out, v.ver)
		}
	}
	slices.SortFunc(out, catalog.Version.Compare)
	return out
}

// StatePlan is the plan of upkeep disable or enable: no change of code,
// the modules to disable or to enable again, each with its installed (or
// disabled) version, sorted by name.
func StatePlan(disable, enable []Disable) *Plan {
	by := func(a, b Disable) int { return strings.Compare(a.Module, b.Module) }
	pl := &Plan{Schema: PlanSchema, Disable: slices.SortedFunc(slices.Values(disable), by), Changes: []PlannedChange{}, Warnings: []string{}}
	if len(enable) > 0 {
		pl.Enable = slices.SortedFunc(slices.Values(enable), by)
	}
	if pl.Disable == nil {
		pl.Disable = []Disable{}
	}
	pl.Hash = pl.hash()
	return pl
}

// Empty reports whether the plan changes nothing.
func (pl *Plan) Empty() bool { return len(pl.Changes)+len(pl.Disable)+len(pl.Enable) == 0 }

// hash returns the sha256 of the plan's canonical encoding: one line per
// disabled module and per change and script, tab-separated, in plan order.
func (pl *Plan) hash() string {
	var b strings.Builder
	b.WriteString("upkeep-plan\t" + strconv.Itoa(PlanSchema) + "\n")
	if pl.UpdateAll {
		b.WriteString("update-all\n")
	}
	for _, d := range pl.Disable {
		fmt.Fprintf(&b, "disable\t%s\t%s\n", d.Module, d.Version)
	}
	for _, d := range pl.Enable {
		fmt.Fprintf(&b, "enable\t%s\t%s\n", d.Module, d.Version)
	}
	for _, c := range pl.Changes {
		fmt.Fprintf(&b, "change\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", c.Stage, c.Module, c.From, c.To, c.Kind,
			c.Repository, c.Archive.Path, c.Archive.Length, c.Archive.SHA256)
		for _, s := range append(slices.Clone(c.Pre), c.Post...) {
			from := ""
			if s.From != nil {
				from = s.From.String()
			}
			fmt.Fprintf(&b, "script\t%s\t%s\t%s\t%s\n", s.Phase, s.Path, s.To, from)
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
