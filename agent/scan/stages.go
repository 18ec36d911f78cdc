package scan

import "slices"

// maxStages bounds the steps of an old instance's path (2.50 -> 3.0 -> 3.1…).
const maxStages = 8

// stageCtx is the start of one step (every module's value before it, 0 for
// a module not installed) and the step's result.
type stageCtx struct {
	floor      []int
	sol        []int
	policy     []uint64 // arc-consistent state of the step's proposable domains
	wide       []uint64 // the same with upgrade notices allowed; built on demand
	start      []uint64 // sol as one-value domains; built on demand
	unlocked   bool     // its floor makes versions reachable that the previous step's did not
	noticeMods []int    // modules whose wide domain is larger than their proposable one
}

// constraints are a plan's enforced choices: modules disabled, and for some
// modules the lowest value to reach (once reachable).
type constraints struct {
	disabled []bool
	goal     []int
}

func newConstraints(n int) *constraints {
	return &constraints{disabled: make([]bool, n), goal: make([]int, n)}
}

// reachable reports whether module k can move from value f to value j in
// one step: j's upgrade_from, when set, is not above f's version.
func (p *problem) reachable(k, j, f int) bool {
	if f == 0 {
		return true
	}
	r := p.mods[k].vals[j].rel
	if r == nil || r.upgradeFrom == 0 {
		return true
	}
	from, _ := p.idx.set.upgradeFrom(r)
	return from.Compare(p.mods[k].vals[f].ver) <= 0
}

// stageDomain writes into out module k's domain for a step that starts at
// value f: f itself and the later values allowed (proposable, or eligible
// when wide) and reachable from f; "none" for a module not installed.
func (p *problem) stageDomain(k, f int, wide bool, c *constraints, out []uint64) {
	m := &p.mods[k]
	clear(out)
	if c != nil && c.disabled[k] {
		out[0] = 1
		return
	}
	g := 0
	if c != nil && c.goal[k] > f && p.reachable(k, c.goal[k], f) {
		g = c.goal[k]
	} else {
		out[f/64] |= 1 << (f % 64)
	}
	for j := max(f+1, g, 1); j < len(m.vals); j++ {
		v := &m.vals[j]
		if !v.dead && (v.policy || wide && v.wide) && p.reachable(k, j, f) {
			out[j/64] |= 1 << (j % 64)
		}
	}
}

// initialFloor is the installed state: installed modules at their version,
// others absent.
func (p *problem) initialFloor() []int {
	f := make([]int, len(p.mods))
	for k := range p.mods {
		f[k] = p.mods[k].cur
	}
	return f
}

// loadStage fills the solver with a step's domains.
func (p *problem) loadStage(s *solver, floor []int, wide bool, c *constraints) {
	for k := range p.mods {
		m := &p.mods[k]
		p.stageDomain(k, floor[k], wide, c, s.dom[m.off:m.off+m.nw])
	}
	s.forget()
	s.trail = s.trail[:0]
	s.clearQueue()
}

// solveStages computes the target step by step: each step takes, in
// decision order, every module's highest version that keeps a consistent
// completion, among the versions reachable from the previous step. It stops
// when a step changes nothing. The last context's sol equals its floor.
// ok is false when a step could not be solved (only possible under
// constraints, or when the search gave up).
func (p *problem) solveStages(s *solver, c *constraints) (ctxs []*stageCtx, ok bool) {
	floor := p.initialFloor()
	for n := 0; n < maxStages; n++ {
		ctx := &stageCtx{floor: floor, sol: floor, unlocked: n == 0 || p.unlocks(ctxs[n-1].floor, floor)}
		ctxs = append(ctxs, ctx)
		p.loadStage(s, floor, false, c)
		if !s.propagateAll() {
			return ctxs, false
		}
		ctx.policy = s.snapshot()
		if !s.search(nil) {
			return ctxs, false
		}
		ctx.sol = p.prunePulled(s.solution())
		if slices.Equal(ctx.sol, floor) {
			return ctxs, true
		}
		floor = ctx.sol
	}
	return ctxs, true
}

// prunePulled drops the pulled-in modules that no present module needs.
func (p *problem) prunePulled(sol []int) []int {
	for changed := true; changed; {
		changed = false
		for k := range p.mods {
			if p.mods[k].kind == kindPulled && sol[k] != 0 && !p.needed(sol, k) {
				sol[k], changed = 0, true
			}
		}
	}
	return sol
}

// needed reports whether some present module's value depends on module k.
func (p *problem) needed(sol []int, k int) bool {
	for _, re := range p.mods[k].rev {
		j := int(re.from)
		if sol[j] != 0 && p.perOf(j, int(re.edge), sol[j]) >= 0 {
			return true
		}
	}
	return false
}

// perOf returns the mask offset of value v of module j on its edge e, or -1
// when that value does not depend on the edge's target.
func (p *problem) perOf(j, e, v int) int {
	per := p.mods[j].edges[e].per
	i, found := slices.BinarySearchFunc(per, int32(v), func(x valMask, v int32) int { return int(x.val - v) })
	if !found {
		return -1
	}
	return int(per[i].mask)
}

// maskHas reports whether the mask at offset holds bit b.
func (p *problem) maskHas(mask, b int) bool { return p.masks[mask+b/64]&(1<<(b%64)) != 0 }

// fits reports whether sol with module k at value j is consistent: j's
// dependencies are met by sol, and every present module accepts j.
func (p *problem) fits(sol []int, k, j int) bool {
	m := &p.mods[k]
	for e := range m.edges {
		mask := p.perOf(k, e, j)
		if mask >= 0 && !p.maskHas(mask, sol[m.edges[e].to]) {
			return false
		}
	}
	for _, re := range m.rev {
		from := int(re.from)
		if sol[from] == 0 {
			continue
		}
		if mask := p.perOf(from, int(re.edge), sol[from]); mask >= 0 && !p.maskHas(mask, j) {
			return false
		}
	}
	return !m.vals[j].dead
}

// stageOf returns the first step at which module k can move to value j
// (1: now), or 0 when no step allows it. A step whose start unlocks no
// version (through upgrade_from) offers only a subset of the previous
// step's domains, so a value infeasible there is not tried again.
func (p *problem) stageOf(s *solver, ctxs []*stageCtx, k, j int) int {
	tried := false
	for i, ctx := range ctxs {
		f := ctx.floor[k]
		if j <= f || !p.reachable(k, j, f) || p.mods[k].vals[j].dead || ctx.policy == nil {
			continue
		}
		if tried && !ctx.unlocked {
			continue
		}
		if p.fits(ctx.sol, k, j) || feasibleWith(p, s, ctx, k, j) {
			return i + 1
		}
		tried = true
	}
	return 0
}

// unlocks reports whether moving from floors prev to floors next makes
// some version reachable (through upgrade_from) that was not.
func (p *problem) unlocks(prev, next []int) bool {
	for x := range p.mods {
		if prev[x] == next[x] {
			continue
		}
		for j := next[x] + 1; j < len(p.mods[x].vals); j++ {
			if !p.reachable(x, j, prev[x]) && p.reachable(x, j, next[x]) {
				return true
			}
		}
	}
	return false
}

// feasibleIn reports whether some consistent state of the step has module k
// at value j, others within their proposable domains. After propagation it
// first repairs the step's solution around k, then searches the whole step.
func (p *problem) feasibleIn(s *solver, ctx *stageCtx, k, j int) bool {
	if p.mods[k].vals[j].policy {
		s.reset(ctx.policy)
		if s.fix(k, j); !s.propagate() {
			return false
		}
		if s.regionSearch(ctx.start, ctx.policy, []int{k}, nil, s.flags, func() { s.fix(k, j) }, ctx.sol) {
			return true
		}
		s.load(ctx.policy)
	} else {
		s.load(p.wideBase(s, ctx))
		for _, n := range ctx.noticeMods {
			if n != k {
				p.stageDomain(n, ctx.floor[n], false, nil, s.scratch[:p.mods[n].nw])
				s.restrict(n, s.scratch[:p.mods[n].nw])
			}
		}
	}
	if s.fix(k, j); !s.propagate() {
		return false
	}
	mark := len(s.trail)
	if s.settle(ctx.sol) {
		return true
	}
	s.undoTo(mark)
	ok := s.search(ctx.sol)
	if s.gaveUp {
		s.notes = append(s.notes, "the scan could not decide within its search limit whether "+p.mv(k, j)+" can be applied; it is listed as not applicable")
	}
	return ok
}

// wideBase returns (building it once) the step's state with upgrade
// notices allowed, and records which modules have notices.
func (p *problem) wideBase(s *solver, ctx *stageCtx) []uint64 {
	if ctx.wide != nil {
		return ctx.wide
	}
	p.loadStage(s, ctx.floor, true, nil)
	for k := range p.mods {
		m := &p.mods[k]
		p.stageDomain(k, ctx.floor[k], false, nil, s.scratch[:m.nw])
		if !slices.Equal(s.scratch[:m.nw], s.dom[m.off:m.off+m.nw]) {
			ctx.noticeMods = append(ctx.noticeMods, k)
		}
	}
	s.propagateAll()
	ctx.wide = s.snapshot()
	return ctx.wide
}
