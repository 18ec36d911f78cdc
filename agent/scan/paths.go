package scan

import (
	"fmt"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// path returns how installed module k reaches value j when j's
// upgrade_from is above the installed version, or nil when it is not.
func (sc *scanner) path(k, j int) *Path {
	m := &sc.p.mods[k]
	needs, ok := sc.p.idx.set.upgradeFrom(m.vals[j].rel)
	if !ok || needs.Compare(m.vals[m.cur].ver) <= 0 {
		return nil
	}
	p := &Path{Module: m.name, To: m.vals[j].ver, Needs: needs, Steps: []catalog.Version{}}
	var verbs []string
	prev := m.cur
	for _, s := range sc.steps(k, j) {
		p.Steps = append(p.Steps, m.vals[s].ver)
		verbs = append(verbs, verb(sc.p.kind(k, prev, s)))
		prev = s
	}
	p.Text = pathText(m.name, m.vals[m.cur].ver, p, verbs)
	return p
}

// steps returns the values module k goes through to reach j: the target's
// own steps when j is applicable through them, else the highest reachable
// version at each step. It is empty when no chain of eligible versions
// leads to j.
func (sc *scanner) steps(k, j int) []int {
	if st := sc.stage[k][j]; st > 1 {
		var out []int
		for _, ctx := range sc.ctxs[:st-1] {
			if v := ctx.sol[k]; v != ctx.floor[k] {
				out = append(out, v)
			}
		}
		return append(out, j)
	}
	m := &sc.p.mods[k]
	var out []int
	for cur := m.cur; len(out) < maxStages; {
		if sc.p.reachable(k, j, cur) {
			return append(out, j)
		}
		next := 0
		for w := j - 1; w > cur && next == 0; w-- {
			if v := &m.vals[w]; v.policy && !v.dead && sc.p.reachable(k, w, cur) {
				next = w
			}
		}
		if next == 0 {
			return nil
		}
		out, cur = append(out, next), next
	}
	return nil
}

// pathText writes a path: "core 3.0.0 needs 2.50.22 or later: update core
// to 2.50.22 first, then upgrade".
func pathText(module string, from catalog.Version, p *Path, verbs []string) string {
	head := fmt.Sprintf("%s %s needs %s or later", module, p.To, p.Needs)
	if len(p.Steps) == 0 {
		return fmt.Sprintf("%s, and no eligible version of %s leads there from %s", head, module, from)
	}
	var b strings.Builder
	b.WriteString(head + ": ")
	for i, s := range p.Steps {
		v := verbs[i]
		switch {
		case i == 0:
			fmt.Fprintf(&b, "%s %s to %s first", v, module, s)
		case i == len(p.Steps)-1:
			fmt.Fprintf(&b, ", then %s", v)
		default:
			fmt.Fprintf(&b, ", then %s to %s", v, s)
		}
	}
	return b.String()
}

// pathsOf lists, per module and target series, the highest candidate that
// needs a path.
func pathsOf(r *Report) []Path {
	var out []Path
	index := map[string]int{}
	for _, list := range [][]Candidate{r.Patches, r.Updates, r.Upgrades, r.UpgradeNotices, r.NotApplicable} {
		for _, c := range list {
			if c.Path == nil {
				continue
			}
			key := c.Module + " " + c.To.Series().String()
			if i, ok := index[key]; ok {
				if out[i].To.Less(c.To) {
					out[i] = *c.Path
				}
				continue
			}
			index[key] = len(out)
			out = append(out, *c.Path)
		}
	}
	slicesSortBy(out, func(p Path) string { return p.Module + " " + p.To.SortKey() })
	return out
}
