package scan

import (
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// why explains why value j of installed module k cannot be applied; with
// disable it also looks for the smallest set of modules to disable.
func (w *worker) why(k, j int, path *Path, disable bool) *Why {
	y := &Why{Unmet: w.unmet(k, j), Blockers: w.blockers(k, j)}
	if disable {
		w.disable(y, k, j)
	}
	y.Reasons = w.reasons(k, j, path, y, disable)
	return y
}

// unmet lists j's dependencies that neither the installed version nor any
// applicable version of their module meets.
func (sc *scanner) unmet(k, j int) []Unmet {
	p := sc.p
	var out []Unmet
	deps := p.mods[k].vals[j].deps
	for i, d := range deps {
		if d.waived || d.to >= 0 && sc.canMeet(d) {
			continue
		}
		if out == nil {
			out = make([]Unmet, 0, len(deps)-i)
		}
		u := Unmet{Module: d.dep.Module, Needs: needText(d.dep, catalog.Version{}), Note: sc.unmetNote(d)}
		if d.to >= 0 && p.mods[d.to].kind == kindInstalled {
			t := &p.mods[d.to]
			u.Installed = t.vals[t.cur].ver
			u.Needs = needText(d.dep, u.Installed)
		}
		if d.relaxed {
			u.Needs += " (relaxed to " + d.dep.Enforcement.String() + ")"
		}
		out = append(out, u)
	}
	return out
}

// canMeet reports whether d is met by its module's installed version, by an
// applicable version, or (for a module to install) by the target.
func (sc *scanner) canMeet(d pdep) bool {
	t := &sc.p.mods[d.to]
	if t.kind != kindInstalled {
		return sc.final()[d.to] != 0 && sc.p.maskHas(d.mask, sc.final()[d.to])
	}
	if d.dep.Allows(t.vals[t.cur].ver) {
		return true
	}
	for v := t.cur + 1; v < len(t.vals) && sc.stage[d.to] != nil; v++ {
		if sc.stage[d.to][v] > 0 && t.vals[v].policy && sc.p.maskHas(d.mask, v) {
			return true
		}
	}
	return false
}

// unmetNote says why no version meets dependency d.
func (sc *scanner) unmetNote(d pdep) string {
	p := sc.p
	if d.to < 0 {
		if p.idx.has(d.dep.Module) {
			return d.dep.Module + " is not installed; request it too (--install " + d.dep.Module + ")"
		}
		return d.dep.Module + " is not installed, and no subscribed repository offers it"
	}
	t := &p.mods[d.to]
	if t.kind != kindInstalled {
		return "no version of " + t.name + " can be installed with it: see new modules"
	}
	if t.held {
		return t.name + " is held"
	}
	var notice, immature int
	for v := t.cur + 1; v < len(t.vals); v++ {
		switch {
		case !p.maskHas(d.mask, v):
		case t.vals[v].policy:
			return p.mv(d.to, v) + " is not applicable either"
		case t.vals[v].wide && notice == 0:
			notice = v
		case !t.vals[v].wide && immature == 0:
			immature = v
		}
	}
	switch {
	case notice > 0:
		return p.mv(d.to, notice) + " is an upgrade taken only on request (--include-upgrades " + t.name + ")"
	case immature > 0:
		return p.mv(d.to, immature) + " is below the minimum maturity (" + p.pol.minimum(t.name, false).String() + ")"
	}
	return "no version of " + t.name + " in the subscribed repositories satisfies it"
}

// blockers lists the installed modules whose installed version's
// dependency on module k excludes value j.
func (sc *scanner) blockers(k, j int) []Blocker {
	p := sc.p
	excludes := func(re revEdge) bool {
		b := &p.mods[re.from]
		mask := -1
		if b.kind == kindInstalled {
			mask = p.perOf(int(re.from), int(re.edge), b.cur)
		}
		return mask >= 0 && !p.maskHas(mask, j)
	}
	n := 0
	for _, re := range p.mods[k].rev {
		if excludes(re) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Blocker, 0, n)
	for _, re := range p.mods[k].rev {
		if !excludes(re) {
			continue
		}
		from := int(re.from)
		b := &p.mods[from]
		bl := Blocker{Module: b.name, Version: b.vals[b.cur].ver, Needs: sc.depOn(from, b.cur, k), Held: b.held}
		bl.WayOut = sc.wayOut(from, int(re.edge), k, j)
		out = append(out, bl)
	}
	slicesSortBy(out, func(b Blocker) string { return b.Module })
	return out
}

// depOn writes value v of module from's dependency on module k.
func (sc *scanner) depOn(from, v, k int) string {
	deps := sc.p.mods[from].vals[v].deps
	for i := range deps {
		if d := &deps[i]; d.to == k {
			if d.text == "" {
				return pdepText(*d)
			}
			return d.text
		}
	}
	return sc.p.mods[k].name
}

// wayOut finds a newer version of blocker from that accepts module k at
// value j, the smallest kind of change first: the highest proposable patch
// or update, else the highest proposable version, else the highest
// eligible one (an upgrade taken only on request).
func (sc *scanner) wayOut(from, e, k, j int) *WayOut {
	p := sc.p
	b := &p.mods[from]
	if b.held {
		return nil
	}
	best := -1
	for pass := 0; pass < 3 && best < 0; pass++ {
		for t := len(b.vals) - 1; t > b.cur; t-- {
			v := &b.vals[t]
			if v.dead || !(pass == 0 && v.policy && v.kind != catalog.KindUpgrade || pass == 1 && v.policy || pass == 2 && v.wide) {
				continue
			}
			if mask := p.perOf(from, e, t); mask < 0 || p.maskHas(mask, j) {
				best = t
				break
			}
		}
	}
	if best < 0 {
		return nil
	}
	v := &b.vals[best]
	w := &WayOut{To: v.ver, Kind: v.kind, OnRequest: !v.policy}
	w.Text = verb(v.kind) + " " + b.name + " to " + p.mv(from, best)[len(b.name)+1:] + ", which accepts " + p.mv(k, j)
	if w.OnRequest {
		w.Text += " (" + b.name + "'s upgrades are taken only on request: --include-upgrades " + b.name + ")"
	}
	return w
}

// disable fills w's disable set for value j of module k.
func (w *worker) disable(y *Why, k, j int) {
	r := w.diagnoser().diagnose(k, j)
	y.Resolvable, y.DisableMinimal = &r.ok, r.minimal
	if r.ok {
		y.Disable = w.disableList(r.disable, r.sol)
	}
}

// disableList describes the modules of set (sorted by index, hence by
// name), disabled in state sol. Equal lists are built once and shared.
func (w *worker) disableList(set, sol []int) []Disable {
	key := w.listKey[:0]
	for _, d := range set {
		key = binary.AppendUvarint(key, uint64(d))
		key = binary.AppendVarint(key, int64(w.reasonCode(d, sol)))
	}
	w.listKey = key
	if l, ok := w.disableLists[string(key)]; ok {
		return l
	}
	l := make([]Disable, len(set))
	for i, d := range set {
		m := &w.p.mods[d]
		l[i] = Disable{Module: m.name, Version: m.vals[m.cur].ver, Reason: w.reasonText(d, w.reasonCode(d, sol))}
	}
	if w.disableLists == nil {
		w.disableLists = map[string][]Disable{}
	}
	w.disableLists[string(key)] = l
	return l
}

// reasonCode says why installed module d is disabled in state sol: the
// index of its first dependency sol breaks, -2-x when it depends on module
// x which is disabled too, or -1.
func (sc *scanner) reasonCode(d int, sol []int) int {
	p := sc.p
	m := &p.mods[d]
	off := -1
	for i, pd := range m.vals[m.cur].deps {
		if pd.to < 0 || pd.waived {
			continue
		}
		switch t := sol[pd.to]; {
		case t == 0 && p.mods[pd.to].kind == kindInstalled:
			off = pd.to
		case t != 0 && !p.maskHas(pd.mask, t):
			return i
		}
	}
	if off >= 0 {
		return -2 - off
	}
	return -1
}

// reasonText writes a reason code of module d, once per (d, code).
func (w *worker) reasonText(d, code int) string {
	key := [2]int{d, code}
	if s, ok := w.reasonCache[key]; ok {
		return s
	}
	p := w.p
	m := &p.mods[d]
	s := "no version of it fits the change"
	switch {
	case code >= 0:
		pd := &m.vals[m.cur].deps[code]
		s = "needs " + pdepText(*pd) + ", but " + p.mods[pd.to].name + " must leave that range"
	case code <= -2:
		s = "depends on " + p.mods[-2-code].name + ", which is disabled too"
	}
	if w.reasonCache == nil {
		w.reasonCache = map[[2]int]string{}
	}
	w.reasonCache[key] = s
	return s
}

// reasons writes w (and the path) in words.
func (w *worker) reasons(k, j int, path *Path, y *Why, disable bool) []string {
	name := w.p.mv(k, j)
	out := make([]string, 0, 2+len(y.Unmet)+min(len(y.Blockers), sentenceItems))
	if path != nil {
		out = append(out, path.Text)
	}
	for _, u := range y.Unmet {
		before, after := "", ""
		if u.Note != "" {
			before, after = " (", ")"
		}
		out = append(out, name+" needs "+u.Needs+" — installed: "+w.p.installedText(u.Module)+before+u.Note+after)
	}
	out = append(out, w.blockerReasons(name, y.Blockers)...)
	if disable {
		out = append(out, w.disableSentence(name, y))
	}
	if len(out) == 0 {
		return nil // as JSON: null, as ever
	}
	return out
}

// sentenceItems is how many blockers or modules a sentence names before
// it says "and N more": the structured lists keep them all.
const sentenceItems = 10

// blockerReasons writes the blockers, their ways out and their holds.
func (sc *scanner) blockerReasons(name string, bs []Blocker) []string {
	if len(bs) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(name + " is blocked by: ")
	var held, ways []string
	for i, bl := range bs {
		if i < sentenceItems {
			if i > 0 {
				b.WriteString(", ")
			}
			for _, s := range [...]string{bl.Module, " ", bl.Version.String(), " (needs ", bl.Needs, ")"} {
				b.WriteString(s)
			}
		}
		switch {
		case bl.Held:
			held = append(held, bl.Module+" is held ("+sc.p.pol.Holds[bl.Module]+"); release the hold to update or disable it")
		case bl.WayOut != nil:
			ways = append(ways, bl.WayOut.Text)
		}
	}
	if n := len(bs) - sentenceItems; n > 0 {
		b.WriteString(", and " + strconv.Itoa(n) + " more (see blockers)")
	}
	return append(append([]string{b.String()}, held...), wayReasons(bs, ways)...)
}

// wayReasons says which blockers have a better way out than disabling:
// one line each when they are few, else one line for all.
func wayReasons(bs []Blocker, ways []string) []string {
	if len(ways) <= sentenceItems/2 {
		out := make([]string, 0, len(ways))
		for _, bl := range bs {
			if bl.WayOut != nil && !bl.Held {
				out = append(out, "better than disabling "+bl.Module+": "+bl.WayOut.Text)
			}
		}
		return out
	}
	return []string{"better than disabling them: " + strconv.Itoa(len(ways)) + " of these modules have a newer version that accepts it, e.g. " +
		strings.Join(ways[:3], "; ") + " (see blockers' way_out)"}
}

// disableSentence says what disabling would take.
func (w *worker) disableSentence(name string, y *Why) string {
	switch {
	case !*y.Resolvable:
		return "disabling modules cannot make " + name + " applicable"
	case len(y.Disable) == 0:
		return name + " needs earlier steps that cannot be applied as things stand (see the other entries)"
	}
	key := sentenceKey{&y.Disable[0], len(y.Disable), y.DisableMinimal}
	if s, ok := w.sentences[key]; ok {
		return s
	}
	names := make([]string, 0, sentenceItems+1)
	for i, d := range y.Disable {
		if i == sentenceItems {
			names = append(names, strconv.Itoa(len(y.Disable)-i)+" more (see disable)")
			break
		}
		names = append(names, d.Module)
	}
	size := "the smallest set"
	if !y.DisableMinimal {
		size = "a small set; the search for a smaller one was cut short"
	}
	s := "to apply it anyway, disable " + joinAnd(names) + " (" + size + ")"
	if w.sentences == nil {
		w.sentences = map[sentenceKey]string{}
	}
	w.sentences[key] = s
	return s
}

// sentenceKey names a shared disable list.
type sentenceKey struct {
	first   *Disable
	n       int
	minimal bool
}

// slicesSortBy sorts s by key, stably.
func slicesSortBy[T any](s []T, key func(T) string) {
	slices.SortStableFunc(s, func(a, b T) int { return strings.Compare(key(a), key(b)) })
}
