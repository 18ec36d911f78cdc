package scan

import "math/bits"

// solver holds one domain state over a problem, with a trail to undo
// changes, arc-consistency propagation and a depth-first search.
type solver struct {
	p       *problem
	dom     []uint64
	seen    []uint64 // per module, its domain when last revised (all ones: never)
	trail   []undo
	queue   []int32
	queued  []bool
	tmp     []uint64
	scratch []uint64
	flags   []bool   // scratch for regionSearch
	from    *uint64  // the state last loaded (changes since are on the trail)
	region  []int    // scratch for regionSearch
	notes   []string // what searches that gave up could not decide
	nodes   int
	budget  int  // search nodes allowed per search; 0: defaultBudget
	gaveUp  bool // the last search hit its budget
}

// undo restores one domain word (i >= 0) or seen word (i < 0: word -1-i).
type undo struct {
	i int32
	w uint64
}

// defaultBudget bounds one search; real instances need a few nodes per module.
const defaultBudget = 200_000

func newSolver(p *problem) *solver {
	maxw := 1
	for i := range p.mods {
		maxw = max(maxw, p.mods[i].nw)
	}
	s := &solver{p: p, dom: make([]uint64, p.words), seen: make([]uint64, p.words), queued: make([]bool, len(p.mods)), tmp: make([]uint64, maxw),
		scratch: make([]uint64, maxw), flags: make([]bool, len(p.mods))}
	s.forget()
	return s
}

// forget marks every module as never revised, so that the next revise of
// each looks at all its values; whoever writes domains other than through
// the trail calls it.
func (s *solver) forget() {
	for i := range s.seen {
		s.seen[i] = ^uint64(0)
	}
}

// load replaces the state by a copy of state and forgets the trail.
func (s *solver) load(state []uint64) {
	copy(s.dom, state)
	s.forget()
	s.trail = s.trail[:0]
	s.clearQueue()
	s.from = nil
	if len(state) > 0 {
		s.from = &state[0]
	}
}

// reset makes the state equal to state: by undoing the trail when state is
// the one last loaded, else by loading it.
func (s *solver) reset(state []uint64) {
	if len(state) > 0 && s.from == &state[0] {
		s.undoTo(0)
		return
	}
	s.load(state)
}

func (s *solver) snapshot() []uint64 { return append([]uint64(nil), s.dom...) }

func (s *solver) setWord(i int, w uint64) {
	if s.dom[i] != w {
		s.trail = append(s.trail, undo{int32(i), s.dom[i]})
		s.dom[i] = w
	}
}

func (s *solver) undoTo(mark int) {
	for len(s.trail) > mark {
		u := s.trail[len(s.trail)-1]
		if u.i < 0 {
			s.seen[-1-u.i] = u.w
		} else {
			s.dom[u.i] = u.w
		}
		s.trail = s.trail[:len(s.trail)-1]
	}
	s.clearQueue()
}

func (s *solver) clearQueue() {
	for _, k := range s.queue {
		s.queued[k] = false
	}
	s.queue = s.queue[:0]
}

// touch queues module k for propagation.
func (s *solver) touch(k int) {
	if !s.queued[k] {
		s.queued[k] = true
		s.queue = append(s.queue, int32(k))
	}
}

func (s *solver) has(k, b int) bool {
	m := &s.p.mods[k]
	return s.dom[m.off+b/64]&(1<<(b%64)) != 0
}

func (s *solver) empty(k int) bool {
	m := &s.p.mods[k]
	for w := 0; w < m.nw; w++ {
		if s.dom[m.off+w] != 0 {
			return false
		}
	}
	return true
}

// onlyNone reports whether module k can only be none (disabled or absent).
func (s *solver) onlyNone(k int) bool {
	m := &s.p.mods[k]
	if s.dom[m.off] != 1 {
		return false
	}
	for w := 1; w < m.nw; w++ {
		if s.dom[m.off+w] != 0 {
			return false
		}
	}
	return true
}

// single returns module k's value when exactly one is left.
func (s *solver) single(k int) (int, bool) {
	m := &s.p.mods[k]
	found := -1
	for w := 0; w < m.nw; w++ {
		x := s.dom[m.off+w]
		if x == 0 {
			continue
		}
		if found >= 0 || x&(x-1) != 0 {
			return 0, false
		}
		found = w*64 + bits.TrailingZeros64(x)
	}
	return found, found >= 0
}

// intersects reports whether module k's domain meets the mask at offset.
func (s *solver) intersects(k, mask int) bool {
	m := &s.p.mods[k]
	for w := 0; w < m.nw; w++ {
		if s.dom[m.off+w]&s.p.masks[mask+w] != 0 {
			return true
		}
	}
	return false
}

// restrict intersects module k's domain with words and queues k on change.
func (s *solver) restrict(k int, words []uint64) {
	m := &s.p.mods[k]
	changed := false
	for w := 0; w < m.nw; w++ {
		if x := s.dom[m.off+w] & words[w]; x != s.dom[m.off+w] {
			s.setWord(m.off+w, x)
			changed = true
		}
	}
	if changed {
		s.touch(k)
	}
}

// remove takes value b out of module k's domain.
func (s *solver) remove(k, b int) {
	i := s.p.mods[k].off + b/64
	if x := s.dom[i] &^ (1 << (b % 64)); x != s.dom[i] {
		s.setWord(i, x)
		s.touch(k)
	}
}

// fix leaves module k only value b.
func (s *solver) fix(k, b int) {
	m := &s.p.mods[k]
	for w := 0; w < m.nw; w++ {
		x := uint64(0)
		if w == b/64 {
			x = 1 << (b % 64)
		}
		if s.dom[m.off+w]&x != s.dom[m.off+w] {
			s.setWord(m.off+w, s.dom[m.off+w]&x)
			s.touch(k)
		}
	}
}

// propagate makes the queued modules' neighbours arc consistent; it
// reports false when some domain becomes empty.
func (s *solver) propagate() bool {
	for len(s.queue) > 0 {
		j := int(s.queue[len(s.queue)-1])
		s.queue = s.queue[:len(s.queue)-1]
		s.queued[j] = false
		if s.empty(j) || !reviseWith(s, j) {
			s.clearQueue()
			return false
		}
	}
	return true
}

// reviseWith and feasibleWith are the engine's propagation and step
// feasibility; the package's tests swap in the previous engine's to check
// that reports stay byte for byte the same.
var (
	reviseWith   = (*solver).revise
	feasibleWith = (*problem).feasibleIn
)

// revise pushes module j's domain to its neighbours: dependents lose the
// values that need a version j can no longer be, targets lose the versions
// none of j's values accepts, and disabling follows the installed
// dependencies (disabling a module disables what depends on it). It looks
// only at what changed since j was last revised: the dependents' groups
// that lost a value, and the targets that every value left depends on.
func (s *solver) revise(j int) bool {
	m := &s.p.mods[j]
	if !s.reviseGroups(j) {
		return false
	}
	if !s.has(j, 0) { // "none" depends on nothing: while it is left, no target loses a version
		v := s.first(j)
		for _, e := range m.valEdges[m.veAt[v]:m.veAt[v+1]] {
			if !s.reviseTarget(j, &m.edges[e]) {
				return false
			}
		}
	}
	if !s.reviseClosure(j) {
		return false
	}
	s.markSeen(j)
	return true
}

// markSeen records module j's domain as revised.
func (s *solver) markSeen(j int) {
	m := &s.p.mods[j]
	for w := m.off; w < m.off+m.nw; w++ {
		if s.seen[w] != s.dom[w] {
			s.trail = append(s.trail, undo{int32(-1 - w), s.seen[w]})
			s.seen[w] = s.dom[w]
		}
	}
}

// first returns module j's lowest value left (its domain is not empty).
func (s *solver) first(j int) int {
	m := &s.p.mods[j]
	for w := 0; w < m.nw; w++ {
		if x := s.dom[m.off+w]; x != 0 {
			return w*64 + bits.TrailingZeros64(x)
		}
	}
	return 0
}

// reviseGroups removes the values of the groups of module j that lost
// their last value of j since j was last revised (an empty mask is checked
// every time: nothing ever meets it).
func (s *solver) reviseGroups(j int) bool {
	m := &s.p.mods[j]
	delta := s.tmp[:m.nw]
	for w := 0; w < m.nw; w++ {
		delta[w] = s.seen[m.off+w] &^ s.dom[m.off+w]
	}
	for g := range m.groups {
		gr := &m.groups[g]
		if !gr.empty && !s.meets(delta, int(gr.mask)) {
			continue
		}
		if !s.reviseGroup(j, gr) {
			return false
		}
	}
	return true
}

// meets reports whether words meet the mask at offset.
func (s *solver) meets(words []uint64, mask int) bool {
	for w, x := range words {
		if x&s.p.masks[mask+w] != 0 {
			return true
		}
	}
	return false
}

// reviseGroup removes the values of group g, when module j has no value
// left in g's mask (they need one); it reports false when that leaves a
// module without values.
func (s *solver) reviseGroup(j int, g *revGroup) bool {
	if s.intersects(j, int(g.mask)) {
		return true
	}
	for _, n := range s.p.needers[g.start:g.end] {
		if w := s.dom[n.word]; w&n.bit != 0 {
			s.setWord(int(n.word), w&^n.bit)
			s.touch(int(n.k))
			if w&^n.bit == 0 && s.empty(int(n.k)) {
				return false
			}
		}
	}
	return true
}

// reviseTarget removes from ed.to the versions no value of j accepts. When
// some value left does not depend on ed.to there is nothing to remove;
// otherwise every value left has a mask, found by its number.
func (s *solver) reviseTarget(j int, ed *edge) bool {
	if s.intersects(j, ed.noDep) {
		return true
	}
	mj, mt := &s.p.mods[j], &s.p.mods[ed.to]
	u := s.tmp[:mt.nw]
	clear(u)
	for w := 0; w < mj.nw; w++ {
		for x := s.dom[mj.off+w]; x != 0; x &= x - 1 {
			mask := ed.maskOf(int32(w*64 + bits.TrailingZeros64(x)))
			for i := range u {
				u[i] |= s.p.masks[mask+i]
			}
		}
	}
	s.restrict(ed.to, u)
	return !s.empty(ed.to)
}

// maskOf returns the mask of value v, which depends on the edge's target.
func (ed *edge) maskOf(v int32) int {
	per := ed.per
	lo, hi := 0, len(per)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if per[h].val < v {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return int(per[lo].mask)
}

// reviseClosure applies "disabling n disables the installed modules that depend on n".
func (s *solver) reviseClosure(j int) bool {
	m := &s.p.mods[j]
	if s.onlyNone(j) {
		for _, k := range m.clRev {
			s.fixNone(k)
			if s.empty(k) {
				return false
			}
		}
	}
	if !s.has(j, 0) {
		for _, n := range m.clDeps {
			s.remove(n, 0)
			if s.empty(n) {
				return false
			}
		}
	}
	return true
}

// fixNone leaves module k only "none", if it has it.
func (s *solver) fixNone(k int) {
	m := &s.p.mods[k]
	for w := 0; w < m.nw; w++ {
		keep := uint64(0)
		if w == 0 {
			keep = 1
		}
		if x := s.dom[m.off+w] & keep; x != s.dom[m.off+w] {
			s.setWord(m.off+w, x)
			s.touch(k)
		}
	}
}

// search finds a complete assignment: modules in decision order, each
// trying its hinted value first (when hint is not nil), then its values
// from the highest version down, "none" last. With no hint the first
// solution is the lexicographically greatest in that order. On success the
// state holds the solution.
func (s *solver) search(hint []int) bool {
	s.nodes, s.gaveUp = 0, false
	if !s.propagate() {
		return false
	}
	return s.dfs(0, hint)
}

// settle fixes every undecided module that may take its hinted value to
// it at once, and searches on from there: the quick way to a solution when
// the hint nearly is one. True is a real solution; false proves nothing.
func (s *solver) settle(hint []int) bool {
	for _, k := range s.p.order {
		if _, ok := s.single(k); !ok && s.has(k, hint[k]) {
			s.fix(k, hint[k])
		}
	}
	return s.search(hint)
}

func (s *solver) dfs(pos int, hint []int) bool {
	order := s.p.order
	for pos < len(order) {
		if _, ok := s.single(order[pos]); !ok {
			break
		}
		pos++
	}
	if pos == len(order) {
		return true
	}
	k := order[pos]
	h := -1
	if hint != nil && s.has(k, hint[k]) {
		h = hint[k]
		if s.try(k, h, pos, hint) {
			return true
		}
	}
	for b := len(s.p.mods[k].vals) - 1; b >= 0 && !s.gaveUp; b-- {
		if b != h && s.has(k, b) && s.try(k, b, pos, hint) {
			return true
		}
	}
	return false
}

// try fixes module k to value b and searches on; it undoes on failure.
func (s *solver) try(k, b, pos int, hint []int) bool {
	limit := s.budget
	if limit == 0 {
		limit = defaultBudget
	}
	if s.nodes++; s.nodes > limit {
		s.gaveUp = true
		return false
	}
	mark := len(s.trail)
	s.fix(k, b)
	if s.propagate() && s.dfs(pos+1, hint) {
		return true
	}
	s.undoTo(mark)
	return false
}

// solution reads the assignment of a solved state into a fresh slice.
func (s *solver) solution() []int { return s.solutionInto(make([]int, len(s.p.mods))) }

// solutionInto reads the assignment of a solved state into sol.
func (s *solver) solutionInto(sol []int) []int {
	sol = sol[:len(s.p.mods)]
	for k := range sol {
		sol[k], _ = s.single(k)
	}
	return sol
}

// propagateAll queues every module and propagates.
func (s *solver) propagateAll() bool {
	for k := range s.p.mods {
		s.touch(k)
	}
	return s.propagate()
}

// restoreFrom sets module x's domain to its domain in state, keeping only
// "none" when off, and removing "none" from an installed module otherwise;
// it queues x and drops the values its dependencies' domains cannot meet.
func (s *solver) restoreFrom(x int, state []uint64, off bool) {
	m := &s.p.mods[x]
	for w := 0; w < m.nw; w++ {
		v := state[m.off+w]
		switch {
		case off && w == 0:
			v &= 1
		case off:
			v = 0
		case w == 0 && m.kind == kindInstalled:
			v &^= 1
		}
		s.setWord(m.off+w, v)
	}
	s.touch(x)
	s.checkOwn(x)
}

// checkOwn removes module x's values whose dependencies its targets'
// domains cannot meet (what revising each target would do for x alone).
func (s *solver) checkOwn(x int) {
	m := &s.p.mods[x]
	for e := range m.edges {
		ed := &m.edges[e]
		for _, vm := range ed.per {
			if s.has(x, int(vm.val)) && !s.intersects(ed.to, int(vm.mask)) {
				s.remove(x, int(vm.val))
			}
		}
	}
}

// maxRegion bounds the modules a region search may re-decide.
const maxRegion = 256

// regionSearch looks for a solution that keeps start's one-value domains
// outside a region: region's modules take their domains in from (only
// "none" for those off marks, never "none" for installed modules
// otherwise), then fix applies, and the search runs. On failure the region
// grows to its neighbours until it stops growing or exceeds maxRegion.
// in is scratch, one flag per module, all false on entry and on return.
// A true result is a real solution; false proves nothing.
func (s *solver) regionSearch(start, from []uint64, seed []int, off, in []bool, fix func(), hint []int) bool {
	region := append(s.region[:0], seed...)
	defer func() { s.region = region[:0] }()
	for _, x := range region {
		in[x] = true
	}
	defer func() {
		for _, x := range region {
			in[x] = false
		}
	}()
	for len(region) <= maxRegion {
		s.load(start)
		for _, x := range region {
			s.restoreFrom(x, from, off != nil && off[x])
		}
		fix()
		if s.search(hint) {
			return true
		}
		n := len(region)
		if region = s.p.expand(region, in); len(region) == n {
			break
		}
	}
	return false
}

// expand adds the neighbours of region (dependencies, dependents and the
// closure relation), marking them in in.
func (p *problem) expand(region []int, in []bool) []int {
	out := region
	add := func(x int) {
		if !in[x] {
			in[x] = true
			out = append(out, x)
		}
	}
	for _, x := range region {
		m := &p.mods[x]
		for _, e := range m.edges {
			add(e.to)
		}
		for _, r := range m.rev {
			add(int(r.from))
		}
		for _, c := range m.clDeps {
			add(c)
		}
		for _, c := range m.clRev {
			add(c)
		}
	}
	return out
}

// singletons writes an assignment as a state of one-value domains.
func (p *problem) singletons(sol []int) []uint64 {
	st := make([]uint64, p.words)
	for x, v := range sol {
		st[p.mods[x].off+v/64] |= 1 << (v % 64)
	}
	return st
}
