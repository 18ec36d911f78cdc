package scan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/upkeep-erp/upkeep/catalog"
)

// modKind tells how a module entered the scan.
type modKind uint8

const (
	kindInstalled modKind = iota
	kindRequested         // named in Policy.Install
	kindPulled            // needed by a requested module
)

// problem is one scan compiled into indexes and bit masks. Module i's
// domain is a bit set over its values: bit 0 is "none" (disabled, or not
// installed), bit j>0 is vals[j]; vals[1:] ascend.
type problem struct {
	idx      *Index
	pol      *Policy
	mods     []pmod
	byName   map[string]int
	order    []int // decision order: installed (dependencies first), requested, pulled
	core     int
	odoo     bool     // the instance numbers its modules as Odoo does
	words    int      // domain words of all modules
	masks    []uint64 // dependency masks, addressed by offset
	needers  []needer // every revGroup's values
	maskOf   map[rangeKey]int
	warnMu   sync.Mutex
	warnings []string
}

// pmod is one module of the scan.
type pmod struct {
	name       string
	kind       modKind
	core       bool
	held       bool
	holdReason string
	source     string
	cur        int // value of the installed version; 0 for a new module
	vals       []value
	listed     *listed
	du         bool // effective default upgrade
	duOverride Override
	requested  bool // upgrades requested by the policy
	neededBy   string
	off, nw    int
	edges      []edge     // one per module this one's values depend on
	rev        []revEdge  // edges of other modules pointing here
	groups     []revGroup // the values those edges come from, by mask
	valEdges   []int32    // per value v, valEdges[veAt[v]:veAt[v+1]]: the edges it depends on
	veAt       []int32
	clDeps     []int // modules the installed version depends on
	clRev      []int // installed modules whose installed version depends on this one
}

// value is one version a module may end at.
type value struct {
	ver    catalog.Version
	rel    *crel // nil for an installed version no repository lists
	repo   string
	deps   []pdep
	kind   catalog.ChangeKind // from the installed version; KindNew for a new module
	wide   bool               // eligible: maturity and holds allow it
	policy bool               // proposable: eligible, and an upgrade only when taken by default or requested
	dead   bool               // needs a module that is neither installed nor requested
	label  string             // "name version", built on first use by mv
}

// pdep is one dependency of a value, resolved.
type pdep struct {
	dep     catalog.Dependency // effective: after relaxation
	id      int32              // the dependency's number in the Listings; -1: the ERP's
	relaxed bool
	to      int // module index, -1 outside the scan
	mask    int // offset of the target's allowed values in problem.masks
	waived  bool
	text    string // pdepText, built on first use
}

// edge gathers the dependencies of one module's values on module to.
type edge struct {
	to    int
	noDep int // mask offset: own values (and none) without a dependency on to
	per   []valMask
}

type valMask struct{ val, mask int32 }

type revEdge struct{ from, edge int32 }

// revGroup is the values of other modules that need one mask of a module's
// values: p.needers[start:end]. While the module's domain meets the mask,
// none of them needs looking at.
type revGroup struct {
	mask, start, end int32
	empty            bool // the mask has no value
}

// needer is one value of module k: its domain word and bit.
type needer struct {
	k, word int32
	bit     uint64
}

// newProblem compiles the scan's inputs.
func newProblem(idx *Index, installed []Installed, pol *Policy) *problem {
	p := &problem{idx: idx, pol: pol, byName: map[string]int{}, maskOf: map[rangeKey]int{}}
	sorted := slices.Clone(installed)
	slices.SortFunc(sorted, func(a, b Installed) int { return cmp.Compare(a.Module, b.Module) })
	for _, in := range sorted {
		p.addInstalled(in)
	}
	p.classifyValues()
	for _, name := range pol.Install {
		p.addRequested(name)
	}
	p.pullDependencies()
	relax := p.relaxations()
	for i := range p.mods {
		p.resolveDeps(i, relax)
	}
	p.reportIgnoredRelaxations(relax)
	p.layout()
	p.buildEdges()
	p.order = p.decisionOrder()
	return p
}

// addInstalled adds an installed module with its installed version and
// every newer listed release.
func (p *problem) addInstalled(in Installed) {
	m := pmod{name: in.Module, kind: kindInstalled, core: in.Core, source: in.Source, listed: p.idx.module(in.Module), cur: 1}
	p.odoo = p.odoo || in.OdooNumbering
	m.holdReason, m.held = p.pol.Holds[in.Module]
	m.du, m.duOverride = p.defaultUpgrade(m.listed, in.Module)
	m.requested = slices.Contains(p.pol.Upgrades, in.Module)
	var newer []offer
	if m.listed != nil {
		i, found := slices.BinarySearchFunc(m.listed.offers, in.Version, func(e offer, v catalog.Version) int { return e.ver.Compare(v) })
		if found {
			i++
		}
		newer = m.listed.offers[i:]
	}
	m.vals = make([]value, 2, 2+len(newer))
	m.vals[1] = p.installedValue(m.listed, in)
	min := p.pol.minimum(in.Module, false)
	for _, o := range newer {
		v := value{ver: o.ver, rel: o.rel, repo: o.repo, deps: p.idx.set.pdeps(o.rel)}
		v.wide = !m.held && o.rel.mat() >= min
		m.vals = append(m.vals, v)
	}
	if in.Core {
		p.core = len(p.mods)
	}
	p.byName[in.Module] = len(p.mods)
	p.mods = append(p.mods, m)
}

// classifyValues sets the kind of every newer version of the installed
// modules, and whether the policy proposes it.
func (p *problem) classifyValues() {
	for k := range p.mods {
		m := &p.mods[k]
		for j := m.cur + 1; j < len(m.vals); j++ {
			v := &m.vals[j]
			v.kind = p.kind(k, m.cur, j)
			v.policy = v.wide && (v.kind != catalog.KindUpgrade || m.du || m.requested)
		}
	}
}

// kind classifies module k's move from value f to value t (t > f > 0).
// On an instance numbered as Odoo does, every module (the core too)
// follows catalog.ClassifyOdoo. Else the core follows
// catalog.ClassifyRelease (its series); another module follows
// catalog.ClassifyModule: an upgrade when its own major version
// changes or when t needs another core series than f (by the lower bounds
// of their core dependencies, when both have one).
func (p *problem) kind(k, f, t int) catalog.ChangeKind {
	m := &p.mods[k]
	from, to := &m.vals[f], &m.vals[t]
	rel := catalog.Release{Version: to.ver, Patch: to.rel.patch()}
	if p.odoo {
		return catalog.ClassifyOdoo(from.ver, rel)
	}
	if m.core {
		return catalog.ClassifyRelease(from.ver, rel)
	}
	fs, ok1 := p.coreSeries(from.deps)
	ts, ok2 := p.coreSeries(to.deps)
	return catalog.ClassifyModule(from.ver, rel, ok1 && ok2 && fs != ts)
}

// coreSeries returns the series of the lower bound of deps' core dependency.
func (p *problem) coreSeries(deps []pdep) (catalog.Series, bool) {
	core := p.mods[p.core].name
	for _, d := range deps {
		if d.dep.Module == core {
			return d.dep.First.Series(), true
		}
	}
	return catalog.Series{}, false
}

// installedValue is the installed version, with its listed release when one exists.
func (p *problem) installedValue(l *listed, in Installed) value {
	v := value{ver: in.Version, kind: catalog.KindNone, wide: true, policy: true}
	if o, ok := l.find(in.Version); ok {
		v.rel, v.repo = o.rel, o.repo
		v.deps = p.idx.set.pdeps(o.rel)
		return v
	}
	v.deps = toPdeps(in.Depends)
	if in.Depends == nil {
		p.warnf("%s %s is in no subscribed repository and the ERP reported no dependencies for it; the scan assumes it has none", in.Module, in.Version)
	}
	return v
}

func toPdeps(deps []catalog.Dependency) []pdep {
	out := make([]pdep, len(deps))
	for i, d := range deps {
		out[i] = pdep{dep: d, id: -1, to: -1}
	}
	return out
}

// defaultUpgrade returns the effective default_upgrade flag and the override behind it.
func (p *problem) defaultUpgrade(l *listed, name string) (bool, Override) {
	du := l == nil || l.defaultUpgrade
	switch o := p.pol.DefaultUpgrade[name]; o {
	case On:
		return true, o
	case Off:
		return false, o
	}
	return du, Inherit
}

// addRequested adds a module to install, unless it is installed or unknown.
func (p *problem) addRequested(name string) {
	if _, dup := p.byName[name]; dup {
		if p.mods[p.byName[name]].kind == kindInstalled {
			p.warnf("%s is already installed; the install request is ignored (its updates are scanned as usual)", name)
		}
		return
	}
	if _, held := p.pol.Holds[name]; held {
		p.warnf("%s is held, so it is not installed; release the hold to install it", name)
		return
	}
	if !p.idx.has(name) {
		return // reported as a new module that no repository offers
	}
	p.addNew(name, kindRequested, "")
}

// addNew adds a module that is not installed, with its eligible releases.
func (p *problem) addNew(name string, kind modKind, neededBy string) {
	m := pmod{name: name, kind: kind, listed: p.idx.module(name), neededBy: neededBy, vals: []value{{}}}
	m.du, m.duOverride = p.defaultUpgrade(m.listed, name)
	min := p.pol.minimum(name, true)
	for _, o := range m.listed.offers {
		if o.rel.mat() >= min {
			m.vals = append(m.vals, value{ver: o.ver, rel: o.rel, repo: o.repo, deps: p.idx.set.pdeps(o.rel),
				kind: catalog.KindNew, wide: true, policy: true})
		}
	}
	p.byName[name] = len(p.mods)
	p.mods = append(p.mods, m)
}

// pullDependencies adds, breadth first, the modules that requested modules
// need and that are neither installed nor requested.
func (p *problem) pullDependencies() {
	for i := 0; i < len(p.mods); i++ {
		m := &p.mods[i]
		if m.kind == kindInstalled {
			continue
		}
		name := m.name
		for _, v := range m.vals[1:] {
			for _, d := range v.deps {
				_, known := p.byName[d.dep.Module]
				_, held := p.pol.Holds[d.dep.Module]
				if !known && !held && p.idx.has(d.dep.Module) {
					p.addNew(d.dep.Module, kindPulled, name)
				}
			}
		}
	}
}

func (p *problem) warnf(format string, args ...any) {
	p.warnMu.Lock()
	defer p.warnMu.Unlock()
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

// relaxKey names a (module, dependency) pair.
func relaxKey(module, dep string) string { return module + "\x00" + dep }

// relaxationOf returns the relaxation of module's dependency on dep, if any.
func relaxationOf(relax map[string]*relaxState, module, dep string) *relaxState {
	if len(relax) == 0 {
		return nil
	}
	return relax[relaxKey(module, dep)]
}

// relaxState is a relaxation and what the scan found about it.
type relaxState struct {
	r           Relaxation
	applied     bool
	notEditable []string // versions whose dependency is not user_editable
}

func (p *problem) relaxations() map[string]*relaxState {
	out := make(map[string]*relaxState, len(p.pol.Relax))
	for _, r := range p.pol.Relax {
		out[relaxKey(r.Module, r.Dependency)] = &relaxState{r: r}
	}
	return out
}

// resolveDeps applies relaxations, finds each dependency's module and
// waives the installed version's dependencies that are already unmet.
func (p *problem) resolveDeps(i int, relax map[string]*relaxState) {
	m := &p.mods[i]
	for j := 1; j < len(m.vals); j++ {
		v := &m.vals[j]
		for k := range v.deps {
			d := &v.deps[k]
			if rs := relaxationOf(relax, m.name, d.dep.Module); rs != nil {
				if d.dep.UserEditable {
					d.dep.Enforcement, d.relaxed, rs.applied = rs.r.Enforcement, true, true
				} else {
					rs.notEditable = append(rs.notEditable, v.ver.String())
				}
			}
			to, ok := p.byName[d.dep.Module]
			if !ok {
				to = -1
			}
			d.to = to
			if to == i { // a module cannot depend on itself; the listing was invalid
				d.waived = true
				continue
			}
			if m.kind == kindInstalled && j == m.cur && !p.metNow(*d) {
				d.waived = true
				p.warnf("%s %s needs %s — installed: %s; the instance is already inconsistent, and the scan leaves that dependency as it is",
					m.name, v.ver, needText(d.dep, p.installedVersion(d.dep.Module)), p.installedText(d.dep.Module))
			}
			v.dead = v.dead || (d.to < 0 && !d.waived)
		}
	}
}

// metNow reports whether the installed versions meet d.
func (p *problem) metNow(d pdep) bool {
	if d.to < 0 || p.mods[d.to].kind != kindInstalled {
		return false
	}
	t := &p.mods[d.to]
	return d.dep.Allows(t.vals[t.cur].ver)
}

// installedVersion returns module's installed version, or the zero Version.
func (p *problem) installedVersion(module string) catalog.Version {
	if i, ok := p.byName[module]; ok && p.mods[i].kind == kindInstalled {
		return p.mods[i].vals[p.mods[i].cur].ver
	}
	return catalog.Version{}
}

// installedText says which version of module is installed, or that none is.
func (p *problem) installedText(module string) string {
	if i, ok := p.byName[module]; ok && p.mods[i].kind == kindInstalled {
		return p.mv(i, p.mods[i].cur)
	}
	return "none"
}

func (p *problem) reportIgnoredRelaxations(relax map[string]*relaxState) {
	keys := make([]string, 0, len(relax))
	for k := range relax {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rs := relax[k]
		switch {
		case len(rs.notEditable) > 0:
			p.warnf("the relaxation of %s's dependency on %s (to %s) is ignored for %s %s: that dependency is not user_editable",
				rs.r.Module, rs.r.Dependency, rs.r.Enforcement, rs.r.Module, strings.Join(rs.notEditable, ", "))
		case !rs.applied:
			p.warnf("the relaxation of %s's dependency on %s matches no dependency of the scanned versions; remove it or check the names",
				rs.r.Module, rs.r.Dependency)
		}
	}
}
