package scan

import (
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// notesBetween returns the release notes of module name's listed versions
// in (from, to], newest first; from zero (a new module) gives to's alone.
func (x *Index) notesBetween(name string, from, to catalog.Version) []VersionNotes {
	m := x.module(name)
	if m == nil {
		return nil
	}
	var out []VersionNotes
	for i := len(m.offers) - 1; i >= 0; i-- {
		o := m.offers[i]
		if c := o.ver.Compare(to); c > 0 || (from.IsZero() && c != 0) || (!from.IsZero() && o.ver.Compare(from) <= 0) {
			continue
		}
		if n := x.set.notes(o.rel); n != "" {
			out = append(out, VersionNotes{Version: o.ver, Notes: n})
		}
	}
	return out
}

// advisoriesOf returns every advisory the listed versions of module name
// carry, each id once (as the newest version carrying it says it), by id.
func (x *Index) advisoriesOf(name string) []catalog.Advisory {
	m := x.module(name)
	if m == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []catalog.Advisory
	for i := len(m.offers) - 1; i >= 0; i-- {
		for _, a := range x.set.advisories(m.offers[i].rel) {
			if !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(a, b catalog.Advisory) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// fixesBetween returns the advisories of module name that moving from from
// to to closes, most severe first.
func (x *Index) fixesBetween(name string, from, to catalog.Version) []catalog.Advisory {
	if from.IsZero() {
		return nil
	}
	var out []catalog.Advisory
	for _, a := range x.advisoriesOf(name) {
		if a.Fixes(from, to) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b catalog.Advisory) int { return int(b.Severity) - int(a.Severity) })
	return out
}

// exposed lists the advisories affecting each installed module that the
// target leaves open: the module's version after the target is affected too.
func (x *Index) exposed(installed []InstalledModule, target []Change) []Exposure {
	final := map[string]catalog.Version{}
	for _, c := range target {
		final[c.Module] = c.To // target is by step: the last step's version wins
	}
	var out []Exposure
	for _, im := range installed {
		after, ok := final[im.Module]
		if !ok {
			after = im.Version
		}
		for _, a := range x.advisoriesOf(im.Module) {
			if a.Affects.Contains(im.Version) && a.Affects.Contains(after) {
				out = append(out, Exposure{Module: im.Module, Version: im.Version, Advisory: a, FixedIn: x.fixedIn(im.Module, im.Version, a)})
			}
		}
	}
	return out
}

// fixedIn returns the lowest listed version above installed that a does not affect.
func (x *Index) fixedIn(name string, installed catalog.Version, a catalog.Advisory) catalog.Version {
	for _, o := range x.module(name).offers {
		if o.ver.Compare(installed) > 0 && !a.Affects.Contains(o.ver) {
			return o.ver
		}
	}
	return catalog.Version{}
}

// addNotes fills in the notes and fixes of every candidate and change, and
// the exposed modules.
func (x *Index) addNotes(r *Report) {
	if len(x.set.infos) == 0 {
		return // no listing says anything: skip the walk
	}
	for _, cs := range [][]Candidate{r.Patches, r.Updates, r.Upgrades, r.UpgradeNotices, r.NotApplicable} {
		for i := range cs {
			c := &cs[i]
			c.Notes, c.Fixes = x.notesBetween(c.Module, c.From, c.To), x.fixesBetween(c.Module, c.From, c.To)
		}
	}
	for i := range r.Target {
		c := &r.Target[i]
		c.Notes, c.Fixes = x.notesBetween(c.Module, c.From, c.To), x.fixesBetween(c.Module, c.From, c.To)
	}
	r.Exposed = x.exposed(r.Installed, r.Target)
}
