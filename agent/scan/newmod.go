package scan

import (
	"fmt"
	"strings"
)

// newModules describes the install requests and the modules they pull in.
func (sc *scanner) newModules() []NewModule {
	p := sc.p
	var out []NewModule
	seen := map[string]bool{}
	for _, name := range p.pol.Install {
		k, ok := p.byName[name]
		switch {
		case seen[name]:
			continue
		case !ok:
			if _, held := p.pol.Holds[name]; !held {
				out = append(out, NewModule{Module: name, Reasons: []string{fmt.Sprintf(
					"no subscribed repository (%s) offers %s; check the name or subscribe to the repository that has it",
					strings.Join(p.idx.set.repos, ", "), name)}})
			}
		case p.mods[k].kind == kindRequested:
			out = append(out, sc.newModule(k))
		}
		seen[name] = true
	}
	for k := range p.mods {
		if p.mods[k].kind == kindPulled && sc.final()[k] != 0 {
			out = append(out, sc.newModule(k))
		}
	}
	slicesSortBy(out, func(n NewModule) string { return n.Module })
	return out
}

// newModule describes new module k in the target.
func (sc *scanner) newModule(k int) NewModule {
	p := sc.p
	m := &p.mods[k]
	n := NewModule{Module: m.name, NeededBy: m.neededBy}
	t := sc.final()[k]
	if t == 0 {
		n.Reasons = []string{sc.notInstallable(k)}
		return n
	}
	v := &m.vals[t]
	n.Version, n.Maturity, n.Summary, n.Repository = v.ver, v.rel.mat(), sc.p.idx.set.summary(v.rel), v.repo
	for i, ctx := range sc.ctxs {
		if ctx.sol[k] != 0 {
			n.Stage = i + 1
			break
		}
	}
	if w := sc.newerWarning(k, t); w != "" {
		n.Reasons = []string{w}
		p.warnf("%s", w)
	}
	return n
}

// notInstallable says why no version of new module k can be installed.
func (sc *scanner) notInstallable(k int) string {
	p := sc.p
	m := &p.mods[k]
	if len(m.vals) == 1 {
		return fmt.Sprintf("no version of %s meets the minimum maturity for installs (%s)", m.name, p.pol.minimum(m.name, true))
	}
	h := len(m.vals) - 1
	if s := sc.failingDep(k, h); s != "" {
		return s
	}
	return fmt.Sprintf("no version of %s fits the installed modules", m.name)
}

// failingDep writes the first dependency of value h of module k that the
// target does not meet, or "".
func (sc *scanner) failingDep(k, h int) string {
	p := sc.p
	final := sc.final()
	for _, d := range p.mods[k].vals[h].deps {
		switch {
		case d.waived:
			continue
		case d.to < 0:
			return fmt.Sprintf("%s needs %s, which no subscribed repository offers", p.mv(k, h), d.dep.Module)
		}
		if t := final[d.to]; t == 0 || !p.maskHas(d.mask, t) {
			now := "none"
			if t != 0 {
				now = p.mv(d.to, t)
			}
			return fmt.Sprintf("%s needs %s — installed: %s", p.mv(k, h), needText(d.dep, p.mods[d.to].vals[t].ver), now)
		}
	}
	return ""
}

// newerWarning says when a newer version of new module k than the chosen
// value t exists but does not fit: "arp 2.0.0 exists for core 3.0;
// installing arp 1.4.0 for core 2.50".
func (sc *scanner) newerWarning(k, t int) string {
	p := sc.p
	m := &p.mods[k]
	h := len(m.vals) - 1
	if h <= t {
		return ""
	}
	core := sc.final()[p.core]
	for _, d := range m.vals[h].deps {
		if d.to == p.core && !d.waived && !p.maskHas(d.mask, core) {
			return fmt.Sprintf("%s exists for %s %s; installing %s for %s %s", p.mv(k, h), d.dep.Module, d.dep.First.Series(),
				p.mv(k, t), p.mods[p.core].name, p.mods[p.core].vals[core].ver.Series())
		}
	}
	if s := sc.failingDep(k, h); s != "" {
		return fmt.Sprintf("%s; installing %s", s, p.mv(k, t))
	}
	return fmt.Sprintf("%s exists but does not fit the installed modules; installing %s", p.mv(k, h), p.mv(k, t))
}
