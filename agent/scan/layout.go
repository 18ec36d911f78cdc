package scan

import (
	"cmp"
	"container/heap"
	"slices"

	"github.com/upkeep-erp/upkeep/catalog"
)

// layout gives every module its words in a domain, every dependency its
// mask, every value its label and the installed versions' dependencies
// their texts (so that scans in parallel only read the problem).
func (p *problem) layout() {
	for i := range p.mods {
		m := &p.mods[i]
		for j := 1; j < len(m.vals); j++ {
			m.vals[j].label = m.name + " " + m.vals[j].ver.String()
		}
		if m.cur > 0 {
			for k := range m.vals[m.cur].deps {
				m.vals[m.cur].deps[k].text = pdepText(m.vals[m.cur].deps[k])
			}
		}
	}
	for i := range p.mods {
		m := &p.mods[i]
		m.off, m.nw = p.words, (len(m.vals)+63)/64
		p.words += m.nw
	}
	byID := map[int32]int{}
	for i := range p.mods {
		for j := 1; j < len(p.mods[i].vals); j++ {
			for k := range p.mods[i].vals[j].deps {
				d := &p.mods[i].vals[j].deps[k]
				if d.to >= 0 && !d.waived {
					d.mask = p.depMask(d, byID)
				}
			}
		}
	}
}

// depMask returns d's mask: a listed dependency's once per number (its
// range and module are the same), any other through rangeMask.
func (p *problem) depMask(d *pdep, byID map[int32]int) int {
	if d.id < 0 || d.relaxed {
		return p.rangeMask(d.to, d.dep)
	}
	if off, ok := byID[d.id]; ok {
		return off
	}
	off := p.rangeMask(d.to, d.dep)
	byID[d.id] = off
	return off
}

// newMask appends an empty mask for module i's values and returns its offset.
func (p *problem) newMask(i int) int {
	off := len(p.masks)
	p.masks = append(p.masks, make([]uint64, p.mods[i].nw)...)
	return off
}

// rangeKey names a mask: a module and a range of its versions.
type rangeKey struct {
	mod int
	r   catalog.Range
}

// rangeMask returns the mask of module i's values that d allows; equal
// ranges share one mask.
func (p *problem) rangeMask(i int, d catalog.Dependency) int {
	r := d.Range()
	key := rangeKey{i, r}
	if off, ok := p.maskOf[key]; ok {
		return off
	}
	off := p.newMask(i)
	p.maskOf[key] = off
	for j := 1; j < len(p.mods[i].vals); j++ {
		if r.Contains(p.mods[i].vals[j].ver) {
			p.masks[off+j/64] |= 1 << (j % 64)
		}
	}
	return off
}

// buildEdges groups every module's dependencies by target, and records the
// closure relation of the installed versions.
func (p *problem) buildEdges() {
	for i := range p.mods {
		p.buildModuleEdges(i)
	}
	for i := range p.mods {
		for e, ed := range p.mods[i].edges {
			p.mods[ed.to].rev = append(p.mods[ed.to].rev, revEdge{from: int32(i), edge: int32(e)})
		}
		m := &p.mods[i]
		if m.kind != kindInstalled {
			continue
		}
		for _, d := range m.vals[m.cur].deps {
			if d.to >= 0 && d.to != i && p.mods[d.to].kind == kindInstalled && !slices.Contains(m.clDeps, d.to) {
				m.clDeps = append(m.clDeps, d.to)
				p.mods[d.to].clRev = append(p.mods[d.to].clRev, i)
			}
		}
	}
	group := map[int32]int32{}
	for j := range p.mods {
		p.buildGroups(j, group)
	}
}

// buildGroups groups the values that depend on module j by the mask of j's
// values they need; group is scratch.
func (p *problem) buildGroups(j int, group map[int32]int32) {
	m := &p.mods[j]
	clear(group)
	for _, re := range m.rev {
		for _, vm := range p.mods[re.from].edges[re.edge].per {
			g, ok := group[vm.mask]
			if !ok {
				g = int32(len(m.groups))
				group[vm.mask] = g
				m.groups = append(m.groups, revGroup{mask: vm.mask})
			}
			m.groups[g].end++ // a count, until the ranges are laid out
		}
	}
	start := int32(len(p.needers))
	for g := range m.groups {
		m.groups[g].empty = !slices.ContainsFunc(p.masks[m.groups[g].mask:int(m.groups[g].mask)+m.nw], func(w uint64) bool { return w != 0 })
		n := m.groups[g].end
		m.groups[g].start, m.groups[g].end = start, start
		start += n
	}
	p.needers = slices.Grow(p.needers, int(start)-len(p.needers))[:start]
	for _, re := range m.rev {
		k := &p.mods[re.from]
		for _, vm := range k.edges[re.edge].per {
			g := &m.groups[group[vm.mask]]
			p.needers[g.end] = needer{k: re.from, word: int32(k.off) + vm.val/64, bit: 1 << (vm.val % 64)}
			g.end++
		}
	}
}

// buildModuleEdges builds module i's edges: per target, the mask each value
// allows (several dependencies on one target intersect) and the values that
// do not depend on it.
func (p *problem) buildModuleEdges(i int) {
	m := &p.mods[i]
	for j := 1; j < len(m.vals); j++ {
		for _, d := range m.vals[j].deps {
			if d.to < 0 || d.waived {
				continue
			}
			e := slices.IndexFunc(m.edges, func(ed edge) bool { return ed.to == d.to })
			if e < 0 {
				e = len(m.edges)
				m.edges = append(m.edges, edge{to: d.to})
			}
			ed := &m.edges[e]
			if n := len(ed.per); n > 0 && ed.per[n-1].val == int32(j) {
				p.andMask(int(ed.per[n-1].mask), d.mask, p.mods[d.to].nw)
				continue
			}
			ed.per = append(ed.per, valMask{val: int32(j), mask: int32(d.mask)})
		}
	}
	p.valueEdges(i)
	for e := range m.edges {
		ed := &m.edges[e]
		ed.noDep = p.newMask(i)
		p.masks[ed.noDep] |= 1 // none depends on nothing
		k := 0
		for j := 1; j < len(m.vals); j++ {
			if k < len(ed.per) && int(ed.per[k].val) == j {
				k++
				continue
			}
			p.masks[ed.noDep+j/64] |= 1 << (j % 64)
		}
	}
}

// valueEdges lists, per value of module i, the edges it depends on.
func (p *problem) valueEdges(i int) {
	m := &p.mods[i]
	m.veAt = make([]int32, len(m.vals)+1)
	for _, ed := range m.edges {
		for _, vm := range ed.per {
			m.veAt[vm.val+1]++
		}
	}
	for v := 1; v <= len(m.vals); v++ {
		m.veAt[v] += m.veAt[v-1]
	}
	m.valEdges = make([]int32, m.veAt[len(m.vals)])
	next := slices.Clone(m.veAt)
	for e, ed := range m.edges {
		for _, vm := range ed.per {
			m.valEdges[next[vm.val]] = int32(e)
			next[vm.val]++
		}
	}
}

// andMask intersects mask dst with mask src in place.
func (p *problem) andMask(dst, src, nw int) {
	for w := 0; w < nw; w++ {
		p.masks[dst+w] &= p.masks[src+w]
	}
}

// decisionOrder is the order in which the search decides modules: the core,
// then installed modules with dependencies first, then requested modules as
// requested, then the modules they pull in, dependencies first. Ties and
// cycles break by name, so the order never depends on input order.
func (p *problem) decisionOrder() []int {
	var inst, req, pulled []int
	for i, m := range p.mods {
		switch m.kind {
		case kindInstalled:
			inst = append(inst, i)
		case kindRequested:
			req = append(req, i)
		default:
			pulled = append(pulled, i)
		}
	}
	byName := func(a, b int) int {
		if p.mods[a].core != p.mods[b].core {
			if p.mods[a].core {
				return -1
			}
			return 1
		}
		return cmp.Compare(p.mods[a].name, p.mods[b].name)
	}
	slices.SortFunc(inst, byName)
	slices.SortFunc(pulled, byName)
	out := p.topo(inst, p.edgeTargets)
	out = append(out, req...)
	return append(out, p.topo(pulled, p.edgeTargets)...)
}

// edgeTargets returns the modules any value of module i depends on.
func (p *problem) edgeTargets(i int) []int {
	out := make([]int, len(p.mods[i].edges))
	for e, ed := range p.mods[i].edges {
		out[e] = ed.to
	}
	return out
}

// topo orders set (sorted by preference) dependencies first, as deps
// tells them; within a cycle, the earlier module in set comes first.
func (p *problem) topo(set []int, deps func(int) []int) []int {
	indeg, users := dependencyCounts(set, deps)
	ready := &intHeap{}
	for k := range set {
		if indeg[k] == 0 {
			heap.Push(ready, k)
		}
	}
	done := make([]bool, len(set))
	out := make([]int, 0, len(set))
	next := 0
	for len(out) < len(set) {
		if ready.Len() == 0 { // a cycle: take the earliest module left
			for done[next] {
				next++
			}
			heap.Push(ready, next)
			indeg[next] = 0
		}
		k := heap.Pop(ready).(int)
		if done[k] {
			continue
		}
		done[k] = true
		out = append(out, set[k])
		for _, u := range users[k] {
			if indeg[u]--; indeg[u] == 0 && !done[u] {
				heap.Push(ready, u)
			}
		}
	}
	return out
}

// dependencyCounts returns, by position in set, how many other members
// each member depends on, and which members depend on each.
func dependencyCounts(set []int, deps func(int) []int) (indeg []int, users [][]int) {
	pos := make(map[int]int, len(set))
	for k, i := range set {
		pos[i] = k
	}
	indeg = make([]int, len(set))
	users = make([][]int, len(set))
	for k, i := range set {
		for _, to := range deps(i) {
			if t, ok := pos[to]; ok && t != k {
				indeg[k]++
				users[t] = append(users[t], k)
			}
		}
	}
	return indeg, users
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
