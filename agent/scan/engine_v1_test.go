package scan

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/catalog/synth"
)

// The previous engine's propagation and step feasibility, kept to check
// that the current engine reports byte for byte the same: revise re-read
// every target and every dependents' group on each change, and feasibleIn
// went from a failed region search straight to a full search.

func (s *solver) reviseV1(j int) bool {
	m := &s.p.mods[j]
	for g := range m.groups {
		if !s.reviseGroup(j, &m.groups[g]) {
			return false
		}
	}
	for e := range m.edges {
		if !s.reviseTargetV1(j, &m.edges[e]) {
			return false
		}
	}
	return s.reviseClosure(j)
}

func (s *solver) reviseTargetV1(j int, ed *edge) bool {
	if s.intersects(j, ed.noDep) {
		return true
	}
	if mj, mt := &s.p.mods[j], &s.p.mods[ed.to]; mj.nw == 1 && mt.nw == 1 {
		dj, u := s.dom[mj.off], uint64(0)
		for _, vm := range ed.per {
			if dj&(1<<vm.val) != 0 {
				u |= s.p.masks[vm.mask]
			}
		}
		if x := s.dom[mt.off] & u; x != s.dom[mt.off] {
			s.setWord(mt.off, x)
			s.touch(ed.to)
		}
		return s.dom[mt.off] != 0
	}
	nw := s.p.mods[ed.to].nw
	u := s.tmp[:nw]
	clear(u)
	for _, vm := range ed.per {
		if s.has(j, int(vm.val)) {
			for w := 0; w < nw; w++ {
				u[w] |= s.p.masks[int(vm.mask)+w]
			}
		}
	}
	s.restrict(ed.to, u)
	return !s.empty(ed.to)
}

func (p *problem) feasibleInV1(s *solver, ctx *stageCtx, k, j int) bool {
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
	s.fix(k, j)
	ok := s.search(ctx.sol)
	if s.gaveUp {
		s.notes = append(s.notes, "the scan could not decide within its search limit whether "+p.mv(k, j)+" can be applied; it is listed as not applicable")
	}
	return ok
}

// engineOutput is a report and its plan as JSON, or the errors.
func engineOutput(ls []*catalog.Listing, installed []Installed, pol Policy, opts PlanOptions) string {
	x, err := NewIndex(ls)
	if err != nil {
		return "index: " + err.Error()
	}
	r, err := Scan(x, installed, pol)
	if err != nil {
		return "scan: " + err.Error()
	}
	a, _ := json.Marshal(r)
	pl, err := r.Plan(opts)
	b, _ := json.Marshal(pl)
	return fmt.Sprintf("%s\n%s\n%v", a, b, err)
}

// bothEngines returns the current and the previous engine's output.
func bothEngines(ls []*catalog.Listing, installed []Installed, pol Policy, opts PlanOptions) (now, before string) {
	now = engineOutput(ls, installed, pol, opts)
	defer func(r func(*solver, int) bool, f func(*problem, *solver, *stageCtx, int, int) bool) {
		reviseWith, feasibleWith = r, f
	}(reviseWith, feasibleWith)
	reviseWith, feasibleWith = (*solver).reviseV1, (*problem).feasibleInV1
	return now, engineOutput(ls, installed, pol, opts)
}

// TestSameAsPreviousEngine checks that 5,000 fuzz catalogs, the oracle's
// random worlds and a synthetic catalog of 70 versions per module (domains
// of two words) give byte for byte the previous engine's reports and plans.
func TestSameAsPreviousEngine(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		rng := rand.New(rand.NewPCG(seed, 4242))
		data := make([]byte, 20+rng.IntN(300))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		ls, installed, pol, opts := fuzzWorld(data)
		if now, before := bothEngines(ls, installed, pol, opts); now != before {
			t.Fatalf("fuzz catalog %d: the report differs from the previous engine's:\n%s\n%s", seed, now, before)
		}
	}
	for seed := uint64(1); seed <= uint64(n/5); seed++ {
		w := randomWorld(rand.New(rand.NewPCG(seed, 77)), profiles[seed%uint64(len(profiles))])
		opts := PlanOptions{DisableBlockers: seed%2 == 0}
		if now, before := bothEngines(w.listings(), w.installedList(), w.pol, opts); now != before {
			t.Fatalf("random world %d: the report differs from the previous engine's:\n%s\n%s", seed, now, before)
		}
	}
	cat := synth.Generate(synth.Config{Modules: 400, VersionsPerModule: 70, Seed: 3})
	inst := synth.NewInstance(cat, synth.InstanceConfig{Modules: 80, Blocked: 9, Seed: 5})
	ls := append(synth.Listings(cat, synth.SeriesOf), synth.Listings(inst.Private, func(*catalog.Manifest) string { return synth.PrivateRepository })...)
	var installed []Installed
	for _, m := range inst.Installed {
		installed = append(installed, Installed{Module: m.Name, Version: m.Version, Core: m.Core})
	}
	pol := Policy{Holds: map[string]string{}}
	for _, h := range inst.Holds {
		pol.Holds[h] = "held"
	}
	if now, before := bothEngines(ls, installed, pol, PlanOptions{DisableBlockers: true}); now != before {
		t.Fatalf("the synthetic catalog's report differs from the previous engine's")
	}
}
