package scan

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/upkeep-erp/upkeep/catalog"
)

// inputs are a scan's inputs, kept so that Plan can scan again.
type inputs struct {
	idx       *Index
	installed []Installed
	pol       Policy
}

// scanner is one scan in progress.
type scanner struct {
	in    *inputs
	p     *problem
	s     *solver
	ctxs  []*stageCtx
	stage [][]int // per module and value: the step that allows it (1 = now); 0 = none
	c     *constraints
}

// worker is one goroutine's share of a scan: its own solver, diagnoser and
// text caches over the shared, read-only problem.
type worker struct {
	*scanner
	s            *solver
	diag         *diagnoser
	reasonCache  map[[2]int]string // reasonText's texts
	disableLists map[string][]Disable
	listKey      []byte
	sentences    map[sentenceKey]string
}

func (sc *scanner) newWorker() *worker { return &worker{scanner: sc, s: newSolver(sc.p)} }

// parallelGrain is how many modules justify one more goroutine.
var parallelGrain = 32

// forEach calls f for every i in [0, n), spread over up to GOMAXPROCS
// workers (inline when n is small). Each i runs once, on one worker.
func (sc *scanner) forEach(n int, f func(w *worker, i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/parallelGrain)
	if workers <= 1 {
		w := sc.newWorker()
		for i := 0; i < n; i++ {
			f(w, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w := sc.newWorker()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(w, i)
			}
		})
	}
	wg.Wait()
}

// Scan classifies every newer version of the installed modules that the
// index lists, proposes a consistent target and explains what cannot be
// applied. It reads nothing but its arguments and keeps them for Plan.
func Scan(idx *Index, installed []Installed, pol Policy) (*Report, error) {
	in, err := newInputs(idx, installed, pol)
	if err != nil {
		return nil, err
	}
	sc, _ := newScanner(in, nil)
	return sc.report(), nil
}

func newInputs(idx *Index, installed []Installed, pol Policy) (*inputs, error) {
	if idx == nil {
		return nil, errors.New("scan: no index; build one with NewIndex from the subscribed repositories' listings")
	}
	if err := validateInstalled(installed); err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	if err := pol.validate(); err != nil {
		return nil, fmt.Errorf("scan: policy: %w", err)
	}
	return &inputs{idx: idx, installed: slices.Clone(installed), pol: clonePolicy(pol)}, nil
}

// clonePolicy copies the policy's maps and lists, so that later changes by
// the caller do not reach a kept report.
func clonePolicy(p Policy) Policy {
	p.Maturity = maps.Clone(p.Maturity)
	p.Holds = maps.Clone(p.Holds)
	p.DefaultUpgrade = maps.Clone(p.DefaultUpgrade)
	p.Upgrades = slices.Clone(p.Upgrades)
	p.Relax = slices.Clone(p.Relax)
	p.Install = slices.Clone(p.Install)
	return p
}

// newScanner compiles the inputs and solves the target; ok is false when a
// step could not be solved under c.
func newScanner(in *inputs, c *constraints) (*scanner, bool) {
	p := newProblem(in.idx, in.installed, &in.pol)
	if c == nil {
		c = newConstraints(len(p.mods))
	}
	s := newSolver(p)
	ctxs, ok := p.solveStages(s, c)
	if !ok && s.gaveUp {
		p.warnf("the scan could not find the best consistent target within its search limit; it proposes fewer changes")
	}
	return &scanner{in: in, p: p, s: s, ctxs: ctxs, c: c}, ok
}

// diagnoser returns the worker's diagnoser, built on first use.
func (w *worker) diagnoser() *diagnoser {
	if w.diag == nil {
		w.diag = newDiagnoser(w.p, w.c)
	}
	return w.diag
}

// classifyAll finds, on all workers, the step at which each eligible newer
// version applies; the searches' notes join the warnings in module order.
func (sc *scanner) classifyAll() {
	p := sc.p
	sc.prepareContexts()
	sc.stage = make([][]int, len(p.mods))
	notes := make([][]string, len(p.mods))
	sc.forEach(len(p.mods), func(w *worker, k int) {
		m := &p.mods[k]
		if m.kind != kindInstalled || m.held {
			return
		}
		before := len(w.s.notes)
		sc.stage[k] = make([]int, len(m.vals))
		for j := m.cur + 1; j < len(m.vals); j++ {
			if m.vals[j].wide {
				sc.stage[k][j] = p.stageOf(w.s, sc.ctxs, k, j)
			}
		}
		notes[k] = w.s.notes[before:]
	})
	for _, n := range notes {
		p.warnings = append(p.warnings, n...)
	}
}

// prepareContexts builds what the steps' searches share, before workers
// read it: each step's solution as one-value domains and, when a module has
// upgrade notices, the step's wide state.
func (sc *scanner) prepareContexts() {
	notices := false
	for k := range sc.p.mods {
		for _, v := range sc.p.mods[k].vals {
			notices = notices || v.wide && !v.policy
		}
	}
	for _, ctx := range sc.ctxs {
		ctx.start = sc.p.singletons(ctx.sol)
		if notices && ctx.policy != nil {
			sc.p.wideBase(sc.s, ctx)
		}
	}
}

// final is the target state: the last step's result.
func (sc *scanner) final() []int { return sc.ctxs[len(sc.ctxs)-1].sol }

// report classifies and assembles the report.
func (sc *scanner) report() *Report {
	sc.classifyAll()
	p := sc.p
	r := &Report{Schema: ReportSchema, Repositories: nonNil(sc.in.idx.Repositories()), in: sc.in}
	for _, k := range sc.installedByName() {
		m := &p.mods[k]
		im := InstalledModule{Module: m.name, Version: m.vals[m.cur].ver, Core: m.core, Source: m.source}
		r.Installed = append(r.Installed, im)
		if m.core {
			r.Core = im
		}
		if m.held {
			r.Held = append(r.Held, sc.held(k))
		}
	}
	sc.addAllCandidates(r)
	r.NewModules = sc.newModules()
	r.Target = sc.target()
	r.Paths = pathsOf(r)
	sc.in.idx.addNotes(r)
	var warnings []string
	for k := range p.mods {
		if l := p.mods[k].listed; l != nil {
			warnings = append(warnings, l.warnings...)
		}
	}
	r.Warnings = dedupe(append(warnings, p.warnings...))
	fillNil(r)
	return r
}

// installedByName returns the installed modules' indexes by name.
func (sc *scanner) installedByName() []int {
	var out []int
	for k := range sc.p.mods {
		if sc.p.mods[k].kind == kindInstalled {
			out = append(out, k) // mods are added sorted by name
		}
	}
	return out
}

// lists are one module's candidates, by report list.
type lists struct{ patches, updates, upgrades, notices, blocked []Candidate }

// addAllCandidates files every eligible newer version of the installed
// modules, explaining on all workers, and appends them in module order.
func (sc *scanner) addAllCandidates(r *Report) {
	p := sc.p
	per := make([]lists, len(p.mods))
	sc.forEach(len(p.mods), func(w *worker, k int) {
		if m := &p.mods[k]; m.kind == kindInstalled && !m.held {
			per[k] = w.candidates(k)
		}
	})
	var n lists
	for k := range per {
		l := &per[k]
		n.patches, n.updates = slices.Grow(n.patches, len(l.patches)), slices.Grow(n.updates, len(l.updates))
		n.upgrades, n.notices = slices.Grow(n.upgrades, len(l.upgrades)), slices.Grow(n.notices, len(l.notices))
		n.blocked = slices.Grow(n.blocked, len(l.blocked))
	}
	r.Patches, r.Updates, r.Upgrades, r.UpgradeNotices, r.NotApplicable = n.patches, n.updates, n.upgrades, n.notices, n.blocked
	for _, k := range sc.installedByName() {
		l := &per[k]
		r.Patches = append(r.Patches, l.patches...)
		r.Updates = append(r.Updates, l.updates...)
		r.Upgrades = append(r.Upgrades, l.upgrades...)
		r.UpgradeNotices = append(r.UpgradeNotices, l.notices...)
		r.NotApplicable = append(r.NotApplicable, l.blocked...)
	}
}

// candidates classifies and explains every eligible newer version of module k.
func (w *worker) candidates(k int) lists {
	var l lists
	m := &w.p.mods[k]
	for j := m.cur + 1; j < len(m.vals); j++ {
		v := &m.vals[j]
		if !v.wide {
			continue
		}
		c := w.candidate(k, j)
		switch {
		case !v.policy:
			c.Notice = w.noticeText(k)
			if c.Stage == 0 {
				c.Why = w.why(k, j, c.Path, false)
			}
			l.notices = append(l.notices, c)
		case c.Stage == 0:
			c.Why = w.why(k, j, c.Path, true)
			l.blocked = append(l.blocked, c)
		case c.Kind == catalog.KindPatch:
			l.patches = append(l.patches, c)
		case c.Kind == catalog.KindUpdate:
			l.updates = append(l.updates, c)
		default:
			l.upgrades = append(l.upgrades, c)
		}
	}
	return l
}

// candidate describes value j of installed module k.
func (sc *scanner) candidate(k, j int) Candidate {
	m := &sc.p.mods[k]
	v := &m.vals[j]
	return Candidate{Module: m.name, From: m.vals[m.cur].ver, To: v.ver, Kind: v.kind, Maturity: v.rel.mat(),
		Summary: sc.p.idx.set.summary(v.rel), Repository: v.repo, Source: m.source, Stage: sc.stage[k][j], Path: sc.path(k, j)}
}

// noticeText says why an upgrade of module k is not proposed.
func (sc *scanner) noticeText(k int) string {
	m := &sc.p.mods[k]
	why := "its repository sets default_upgrade to false"
	if m.duOverride == Off {
		why = "this instance overrides its default_upgrade to false"
	}
	return fmt.Sprintf("upgrade available: %s's upgrades are taken only on request (%s); include them with --include-upgrades %s",
		m.name, why, m.name)
}

// held describes held module k and what it is kept from.
func (sc *scanner) held(k int) Held {
	m := &sc.p.mods[k]
	h := Held{Module: m.name, Version: m.vals[m.cur].ver, Reason: m.holdReason, Available: []catalog.Version{}}
	for _, v := range m.vals[m.cur+1:] {
		h.Available = append(h.Available, v.ver)
	}
	return h
}

// target lists the proposed changes, step by step.
func (sc *scanner) target() []Change {
	out := []Change{}
	for i, ctx := range sc.ctxs {
		for _, k := range sc.p.order {
			if f, t := ctx.floor[k], ctx.sol[k]; t != f && t != 0 {
				out = append(out, sc.change(i+1, k, f, t))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		if a.Stage != b.Stage {
			return a.Stage - b.Stage
		}
		return strings.Compare(a.Module, b.Module)
	})
	return out
}

// change describes module k moving from value f to value t.
func (sc *scanner) change(stage, k, f, t int) Change {
	m := &sc.p.mods[k]
	v := &m.vals[t]
	c := Change{Stage: stage, Module: m.name, To: v.ver, Kind: catalog.KindNew, Repository: v.repo}
	if f != 0 {
		c.From = m.vals[f].ver
		c.Kind = sc.p.kind(k, f, t)
	}
	return c
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// fillNil makes every list of r non-nil, so JSON shows [] rather than null.
func fillNil(r *Report) {
	r.Installed = nonNil(r.Installed)
	r.Patches = nonNil(r.Patches)
	r.Updates = nonNil(r.Updates)
	r.Upgrades = nonNil(r.Upgrades)
	r.UpgradeNotices = nonNil(r.UpgradeNotices)
	r.NotApplicable = nonNil(r.NotApplicable)
	r.NewModules = nonNil(r.NewModules)
	r.Paths = nonNil(r.Paths)
	r.Held = nonNil(r.Held)
	r.Disabled = nonNil(r.Disabled)
	r.Exposed = nonNil(r.Exposed)
}
