package scan

import (
	"fmt"
	"slices"
	"strings"
)

// UnplannedError says modules named in PlanOptions.Modules have no change
// (nor disable) in the plan those options give without Modules.
type UnplannedError struct {
	Modules []string // sorted
}

func (e *UnplannedError) Error() string {
	return fmt.Sprintf("scan.Plan: the plan has no change for %s: pick modules among the plan's changes and disables (plan without a module list to see them)",
		strings.Join(e.Modules, ", "))
}

// subset narrows the solved steps to the named modules and the changes
// they need: the modules their new versions depend on, and the modules
// whose current versions do not accept the selection's moves (they move,
// or are disabled, with them), until the kept changes are consistent after
// every step. It keeps disabled to the kept modules, and returns the
// sentences saying why each module was added.
func (sc *scanner) subset(names []string, disabled map[int]string) ([]string, error) {
	keep, err := sc.selected(names, disabled)
	if err != nil {
		return nil, err
	}
	notes := sc.p.closeSubset(sc.ctxs, keep)
	sc.ctxs = sc.p.mixedSteps(sc.ctxs, keep)
	for d := range disabled {
		if !keep[d] {
			delete(disabled, d)
		}
	}
	return notes, nil
}

// selected marks the named modules; a name the plan does not change (or
// disable) is an UnplannedError.
func (sc *scanner) selected(names []string, disabled map[int]string) ([]bool, error) {
	keep := make([]bool, len(sc.p.mods))
	var unknown []string
	for _, name := range names {
		k, ok := sc.p.byName[name]
		if !ok || !sc.changes(k, disabled) {
			unknown = append(unknown, name)
			continue
		}
		keep[k] = true
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, &UnplannedError{Modules: slices.Compact(unknown)}
	}
	return keep, nil
}

// changes reports whether the solved steps move or disable module k.
func (sc *scanner) changes(k int, disabled map[int]string) bool {
	if _, off := disabled[k]; off {
		return true
	}
	for _, ctx := range sc.ctxs {
		if ctx.sol[k] != ctx.floor[k] && ctx.sol[k] != 0 {
			return true
		}
	}
	return false
}

// mixed is the state after a step when only the kept modules follow the
// solved steps: the kept at sol, the others as installed.
func (p *problem) mixed(sol []int, keep []bool) []int {
	out := make([]int, len(sol))
	for k := range sol {
		out[k] = p.mods[k].cur
		if keep[k] {
			out[k] = sol[k]
		}
	}
	return out
}

// closeSubset adds to keep, until every mixed state is consistent, the
// dependencies a kept module's value needs and the modules whose value does
// not accept a kept module's; it returns why each was added. The solved
// steps are consistent, so keeping every module they change always ends it.
func (p *problem) closeSubset(ctxs []*stageCtx, keep []bool) []string {
	var notes []string
	for added := true; added; {
		added = false
		for _, ctx := range ctxs {
			st := p.mixed(ctx.sol, keep)
			for k := range p.mods {
				if note, x := p.unmetIn(st, k, keep); x >= 0 && !keep[x] {
					keep[x], added = true, true
					notes = append(notes, note)
				}
			}
		}
	}
	return notes
}

// unmetIn returns, for the first dependency of module k's value in st that
// st does not meet, the module to add to keep (k's dependency when k is
// kept, else k) and why; -1 when st meets them all.
func (p *problem) unmetIn(st []int, k int, keep []bool) (string, int) {
	v := st[k]
	if v == 0 {
		return "", -1
	}
	for e, ed := range p.mods[k].edges {
		mask := p.perOf(k, e, v)
		if mask < 0 || p.maskHas(mask, st[ed.to]) {
			continue
		}
		if keep[k] {
			return fmt.Sprintf("%s is in the plan too: %s needs it", p.mods[ed.to].name, p.mv(k, v)), ed.to
		}
		return fmt.Sprintf("%s is in the plan too: %s does not work with %s", p.mods[k].name, p.mv(k, v), movedText(p, ed.to, st[ed.to])), k
	}
	return "", -1
}

// movedText names a kept module's value: its version, or its disabling.
func movedText(p *problem, k, v int) string {
	if v == 0 {
		return p.mods[k].name + " disabled"
	}
	return p.mv(k, v)
}

// mixedSteps rewrites the solved steps with only the kept modules moving,
// dropping the steps where none does; the last step changes nothing, as
// solveStages leaves it.
func (p *problem) mixedSteps(ctxs []*stageCtx, keep []bool) []*stageCtx {
	floor := p.initialFloor()
	var out []*stageCtx
	for _, ctx := range ctxs {
		sol := p.mixed(ctx.sol, keep)
		if !slices.Equal(sol, floor) {
			out = append(out, &stageCtx{floor: floor, sol: sol})
			floor = sol
		}
	}
	return append(out, &stageCtx{floor: floor, sol: floor})
}
