package scan

import (
	"encoding/binary"
	"slices"
)

// diagnoser finds, for a version that cannot be applied, the smallest set
// of installed modules whose disabling makes it applicable. It works in the
// extended context: every module may take any proposable version above its
// installed one (paths through upgrade_from assumed taken), and any
// installed module but the core and held modules may be disabled.
type diagnoser struct {
	p     *problem
	s     *solver
	c     *constraints
	base  []uint64 // arc consistent; nil when even that is impossible
	dis   []bool   // scratch: the set being tried
	d1    []uint64 // the state after fixing the candidate
	near  []int    // search hint: every module's installed value
	memos map[string]*memo
	key   []uint64 // scratch: a memo key
	fbuf  []int    // scratch: the forced set
	sbuf  []int    // scratch: a solution
	in    []bool   // scratch: region membership
}

// maxSubsetChecks bounds the search for a disable set beyond the forced one.
const maxSubsetChecks = 4096

// exhaustiveLimit is the most optional modules searched exhaustively.
const exhaustiveLimit = 16

func newDiagnoser(p *problem, c *constraints) *diagnoser {
	d := &diagnoser{p: p, s: newSolver(p), c: c, dis: make([]bool, len(p.mods)), in: make([]bool, len(p.mods)),
		memos: map[string]*memo{}, near: p.initialFloor(), sbuf: make([]int, len(p.mods))}
	for k := range p.mods {
		m := &p.mods[k]
		p.extendedDomain(k, c, d.s.dom[m.off:m.off+m.nw])
	}
	if d.s.propagateAll() {
		d.base = d.s.snapshot()
	}
	return d
}

// extendedDomain writes module k's domain in the extended context: its
// installed version (unless a goal is above it), every proposable version
// above, and "none" when it may be disabled (or is not installed).
func (p *problem) extendedDomain(k int, c *constraints, out []uint64) {
	m := &p.mods[k]
	clear(out)
	goal := 0
	if c != nil {
		goal = c.goal[k]
		if c.disabled[k] {
			out[0] = 1
			return
		}
	}
	if m.kind != kindInstalled || !m.core && !m.held && goal == 0 {
		out[0] = 1
	}
	if m.cur > 0 && goal <= m.cur {
		out[m.cur/64] |= 1 << (m.cur % 64)
	}
	for j := max(m.cur+1, goal, 1); j < len(m.vals); j++ {
		if v := &m.vals[j]; v.policy && !v.dead {
			out[j/64] |= 1 << (j % 64)
		}
	}
}

// diagResult is what diagnose found.
type diagResult struct {
	ok      bool  // some set of disabled modules makes the version applicable
	disable []int // that set, smallest first found; closed under dependents
	minimal bool  // no smaller set exists
	sol     []int // the consistent state reached
}

// diagnose looks for the smallest closed set of installed modules to
// disable so that module k can be at value j. It starts from the remembered
// state of the candidate's restriction on the core (the same fixpoint as
// from the base: the candidate implies that restriction). The forced set
// (modules that propagation leaves nothing but "none") is necessary; when
// it suffices it is the answer, found first by a local repair of the
// remembered solution.
func (d *diagnoser) diagnose(k, j int) diagResult {
	s := d.s
	if d.base == nil {
		return diagResult{}
	}
	m := d.memoFor(d.coreKey(k, j))
	if m == nil {
		return diagResult{}
	}
	s.reset(m.state)
	s.fix(k, j)
	if !s.propagate() {
		return diagResult{}
	}
	forced := d.forced()
	d.d1 = append(d.d1[:0], s.dom...)
	if sol, ok := d.local(m, k, forced); ok {
		return diagResult{ok: true, disable: forced, minimal: true, sol: sol}
	}
	s.load(d.d1)
	if sol, ok := d.tryHinted(forced, m.sol); ok {
		return diagResult{ok: true, disable: forced, minimal: true, sol: sol}
	}
	s.load(d.d1)
	return d.subsets(forced, 0)
}

// coreKey returns the core's domain once module k is at value j: j itself
// for the core, else the base domain narrowed by j's core dependency.
func (d *diagnoser) coreKey(k, j int) []uint64 {
	p := d.p
	core := &p.mods[p.core]
	key := append(d.key[:0], d.base[core.off:core.off+core.nw]...)
	if k == p.core {
		clear(key)
		key[j/64] = 1 << (j % 64)
		return key
	}
	for e := range p.mods[k].edges {
		if p.mods[k].edges[e].to == p.core {
			if mask := p.perOf(k, e, j); mask >= 0 {
				for w := range key {
					key[w] &= p.masks[mask+w]
				}
			}
		}
	}
	d.key = key
	return key
}

// forced returns the installed modules that must be disabled in every
// solution (propagation left them nothing but "none"), in a scratch slice
// that the next call reuses.
func (d *diagnoser) forced() []int {
	out := d.fbuf[:0]
	for k := range d.p.mods {
		if d.p.mods[k].kind == kindInstalled && d.s.onlyNone(k) {
			out = append(out, k)
		}
	}
	d.fbuf = out
	return out
}

// try disables exactly set (other installed modules stay enabled) and
// searches, installed versions first; the state keeps the solution on
// success.
func (d *diagnoser) try(set []int) ([]int, bool) { return d.tryHinted(set, nil) }

// tryHinted is try with the search trying hint's values first (nil: the
// installed versions).
func (d *diagnoser) tryHinted(set, hint []int) ([]int, bool) {
	if hint == nil {
		hint = d.near
	}
	clear(d.dis)
	for _, k := range set {
		d.dis[k] = true
	}
	for k := range d.p.mods {
		switch {
		case d.dis[k]:
			d.s.fixNone(k)
		case d.p.mods[k].kind == kindInstalled:
			d.s.remove(k, 0)
		}
	}
	if !d.s.search(hint) {
		return nil, false
	}
	d.sbuf = d.s.solutionInto(d.sbuf[:cap(d.sbuf)])
	return d.sbuf, true
}

// subsets searches sets larger than the forced one, smallest closure
// first. It is exhaustive over small instances; on large ones it tries the
// modules the change touched and reports the set as not proven minimal.
func (d *diagnoser) subsets(forced []int, mark int) diagResult {
	opt := d.optional(forced)
	exhaustive := len(opt) <= exhaustiveLimit
	if !exhaustive {
		opt = opt[:exhaustiveLimit]
	}
	best := diagResult{}
	checks := 0
	for size := 1; size <= len(opt) && (!best.ok || size+len(forced) < len(best.disable)); size++ {
		forCombinations(len(opt), size, func(pick []int) bool {
			set, ok := d.closure(forced, opt, pick)
			if !ok || best.ok && len(set) >= len(best.disable) {
				return true
			}
			if checks++; checks > maxSubsetChecks {
				exhaustive = false
				return false
			}
			d.s.undoTo(mark)
			if sol, found := d.try(set); found {
				best = diagResult{ok: true, disable: set, sol: slices.Clone(sol)}
			}
			return true
		})
	}
	d.s.undoTo(mark)
	best.minimal = best.ok && exhaustive
	return best
}

// optional lists the installed modules that may still be disabled beyond
// forced, those whose domain the change narrowed first.
func (d *diagnoser) optional(forced []int) []int {
	var touched, rest []int
	for _, k := range d.p.order {
		m := &d.p.mods[k]
		if m.kind != kindInstalled || !d.s.has(k, 0) || slices.Contains(forced, k) {
			continue
		}
		if slices.Equal(d.s.dom[m.off:m.off+m.nw], d.base[m.off:m.off+m.nw]) {
			rest = append(rest, k)
		} else {
			touched = append(touched, k)
		}
	}
	return append(touched, rest...)
}

// closure returns forced plus the picked modules and every installed module
// that depends on them, sorted; ok is false when that would disable a module
// that cannot be disabled.
func (d *diagnoser) closure(forced, opt, pick []int) ([]int, bool) {
	set := slices.Clone(forced)
	queue := make([]int, 0, len(pick))
	for _, i := range pick {
		queue = append(queue, opt[i])
	}
	for len(queue) > 0 {
		k := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if slices.Contains(set, k) {
			continue
		}
		if !d.s.has(k, 0) {
			return nil, false
		}
		set = append(set, k)
		queue = append(queue, d.p.mods[k].clRev...)
	}
	slices.Sort(set)
	return set, true
}

// forCombinations calls f with every size-subset of 0..n-1 (as indexes,
// ascending) until f returns false.
func forCombinations(n, size int, f func([]int) bool) {
	pick := make([]int, size)
	for i := range pick {
		pick[i] = i
	}
	for {
		if !f(pick) {
			return
		}
		i := size - 1
		for i >= 0 && pick[i] == n-size+i {
			i--
		}
		if i < 0 {
			return
		}
		pick[i]++
		for j := i + 1; j < size; j++ {
			pick[j] = pick[j-1] + 1
		}
	}
}

// memo is the extended context with the core restricted to one domain:
// the propagated state, and a solution that disables only what that
// restriction forces (nil sol when there is none).
type memo struct {
	state  []uint64
	forced []int
	sol    []int
	start  []uint64 // sol as one-value domains
}

// local re-solves, from the memo's solution, only the modules that must
// change, widening the region to their neighbours as needed. Searches try
// each module's installed version first, so solutions stay near the
// installed state and repairs stay local.
func (d *diagnoser) local(m *memo, k int, forced []int) ([]int, bool) {
	if m.sol == nil || len(m.forced) > len(forced) {
		return nil, false
	}
	region := d.mustChange(m, k, forced)
	if d.s.regionSearch(m.start, d.d1, region, d.dis, d.in, func() {}, d.near) {
		d.sbuf = d.s.solutionInto(d.sbuf[:cap(d.sbuf)])
		return d.sbuf, true
	}
	return nil, false
}

// mustChange returns k, the forced modules, and the modules whose value
// in m does not fit the candidate's state; it leaves d.dis marking forced.
func (d *diagnoser) mustChange(m *memo, k int, forced []int) []int {
	clear(d.dis)
	for _, x := range forced {
		d.dis[x] = true
	}
	var region []int
	for x := range d.p.mods {
		mod := &d.p.mods[x]
		v := m.sol[x]
		fits := d1Has(d.d1, mod, v) && (v == 0) == d.dis[x]
		if mod.kind != kindInstalled && v == 0 {
			fits = d1Has(d.d1, mod, 0)
		}
		if x == k || !fits {
			region = append(region, x)
		}
	}
	return region
}

func d1Has(state []uint64, m *pmod, b int) bool { return state[m.off+b/64]&(1<<(b%64)) != 0 }

// memoFor returns the memo of the core domain key, building it once; nil
// when that restriction alone leaves no consistent state. A key narrower
// than its series starts from the series' memo.
func (d *diagnoser) memoFor(key []uint64) *memo {
	b := make([]byte, 0, 8*len(key))
	for _, w := range key {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	if m, ok := d.memos[string(b)]; ok {
		return m
	}
	from, start := d.base, (*memo)(nil)
	if wide := d.seriesKey(key); wide != nil {
		if start = d.memoFor(wide); start == nil {
			d.memos[string(b)] = nil
			return nil
		}
		from = start.state
	}
	var m *memo
	d.s.load(from)
	d.s.restrict(d.p.core, key)
	if d.s.propagate() {
		m = &memo{state: d.s.snapshot(), forced: slices.Clone(d.forced())}
		d.solveMemo(m, start)
	}
	d.memos[string(b)] = m
	return m
}

// solveMemo finds m's solution: by repairing start's, else by a full search.
func (d *diagnoser) solveMemo(m, start *memo) {
	if start != nil && start.sol != nil {
		d.d1 = append(d.d1[:0], m.state...)
		if sol, ok := d.local(start, d.p.core, m.forced); ok {
			m.sol = slices.Clone(sol)
			m.start = d.p.singletons(m.sol)
			return
		}
	}
	d.s.load(m.state)
	if sol, ok := d.try(m.forced); ok {
		m.sol = slices.Clone(sol)
		m.start = d.p.singletons(m.sol)
	}
}

// seriesKey returns the base core domain narrowed to the series of key's
// lowest value, when that is wider than key; else nil.
func (d *diagnoser) seriesKey(key []uint64) []uint64 {
	p := d.p
	core := &p.mods[p.core]
	lo := -1
	for j := 1; j < len(core.vals) && lo < 0; j++ {
		if key[j/64]&(1<<(j%64)) != 0 {
			lo = j
		}
	}
	if lo < 0 {
		return nil
	}
	series := core.vals[lo].ver.Series()
	wide := slices.Clone(d.base[core.off : core.off+core.nw])
	wide[0] &^= 1
	for j := 1; j < len(core.vals); j++ {
		if core.vals[j].ver.Series() != series {
			wide[j/64] &^= 1 << (j % 64)
		}
	}
	subset, strict := true, false
	for w := range wide {
		subset = subset && key[w]&^wide[w] == 0
		strict = strict || wide[w] != key[w]
	}
	if subset && strict {
		return wide
	}
	return nil
}
