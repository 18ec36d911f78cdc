package scan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

// oracleSeeds is how many random catalogs the oracle checks.
const oracleSeeds = 3000

// world is a small random catalog and instance, and everything the brute
// force needs to judge a report independently of the engine.
type world struct {
	prof      profile
	mods      []string
	versions  map[string][]catalog.Release // ascending
	noDU      map[string]bool
	installed map[string]catalog.Version // modules not in the map are not installed
	pol       Policy

	order          []string            // installed modules, as enumerated
	consistentSets [][]catalog.Version // every consistent assignment, in order
}

// profile shapes a random world.
type profile struct {
	name        string
	mods        [2]int // at least, and at most
	versions    [2]int
	pool        []string
	depPer10    int // chance in ten of a dependency on each other module
	firsts      int // how many of the target's lowest versions a dependency may start at
	minorPer10  int // chance in ten of minor enforcement (else major or none)
	uninstalled int // one module in this many is not installed
}

var profiles = []profile{
	{name: "sparse", mods: [2]int{4, 6}, versions: [2]int{2, 4}, pool: []string{"1.0.0", "1.0.1", "1.1.0", "1.1.1", "2.0.0", "2.0.1"},
		depPer10: 3, firsts: 2, minorPer10: 3, uninstalled: 20},
	{name: "dense", mods: [2]int{4, 6}, versions: [2]int{2, 4}, pool: []string{"1.0.0", "1.0.1", "1.1.0", "1.1.1", "2.0.0", "2.0.1"},
		depPer10: 6, firsts: 4, minorPer10: 3, uninstalled: 20},
	{name: "choice", mods: [2]int{4, 5}, versions: [2]int{3, 5}, pool: []string{"1.0.0", "1.0.1", "1.0.2", "1.1.0", "1.1.1", "1.2.0", "2.0.0", "2.1.0"},
		depPer10: 4, firsts: 8, minorPer10: 6, uninstalled: 30},
}

// randomWorld builds a world whose installed set is consistent.
func randomWorld(rng *rand.Rand, prof profile) *world {
	for {
		w := &world{prof: prof, versions: map[string][]catalog.Release{}, noDU: map[string]bool{}, installed: map[string]catalog.Version{},
			pol: Policy{Holds: map[string]string{}, DefaultUpgrade: map[string]Override{}}}
		n := prof.mods[0] + rng.IntN(prof.mods[1]-prof.mods[0]+1)
		w.mods = []string{"core"}
		for i := 1; i < n; i++ {
			w.mods = append(w.mods, fmt.Sprintf("m%d", i))
		}
		for _, m := range w.mods {
			w.versions[m] = randomVersions(rng, m, prof)
		}
		for _, m := range w.mods {
			for i := range w.versions[m] {
				w.versions[m][i].Depends = w.randomDeps(rng, m)
			}
		}
		w.randomPolicy(rng)
		if w.pickInstalled(rng) {
			return w
		}
	}
}

func randomVersions(rng *rand.Rand, m string, prof profile) []catalog.Release {
	pool := slices.Clone(prof.pool)
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	pool = pool[:prof.versions[0]+rng.IntN(prof.versions[1]-prof.versions[0]+1)]
	slices.SortFunc(pool, func(a, b string) int { return catalog.MustParseVersion(a).Compare(catalog.MustParseVersion(b)) })
	out := make([]catalog.Release, len(pool))
	for i, v := range pool {
		out[i] = catalog.Release{Version: catalog.MustParseVersion(v), Maturity: catalog.Maturity(2 + rng.IntN(3)),
			Patch: rng.IntN(5) == 0, Archive: fakeArchive(m, v)}
	}
	return out
}

// randomDeps gives a release of m dependencies on random other modules.
func (w *world) randomDeps(rng *rand.Rand, m string) []catalog.Dependency {
	var deps []catalog.Dependency
	for _, t := range w.mods {
		if t == m || rng.IntN(10) >= w.prof.depPer10 {
			continue
		}
		tv := w.versions[t]
		d := catalog.Dependency{Module: t, First: tv[rng.IntN(min(w.prof.firsts, len(tv)))].Version}
		if rng.IntN(10) < w.prof.minorPer10 {
			d.Enforcement = catalog.EnforceMinor
		} else if rng.IntN(3) == 0 {
			d.Enforcement = catalog.EnforceNone
		}
		if rng.IntN(6) == 0 {
			d.Upper = &catalog.Bound{Version: tv[len(tv)-1].Version, Inclusive: rng.IntN(2) == 0}
			if d.Range().Contains(d.First) == false {
				d.Upper = nil
			}
		}
		d.UserEditable = rng.IntN(4) == 0
		deps = append(deps, d)
	}
	return deps
}

func (w *world) randomPolicy(rng *rand.Rand) {
	w.pol.MinUpdate = catalog.Maturity(rng.IntN(4))
	for _, m := range w.mods[1:] {
		switch rng.IntN(10) {
		case 0:
			w.pol.Holds[m] = "random hold"
		case 1, 2:
			w.noDU[m] = true
		case 3:
			w.pol.DefaultUpgrade[m] = Off
		case 4:
			w.pol.Upgrades = append(w.pol.Upgrades, m)
		case 5:
			w.pol.Relax = append(w.pol.Relax, Relaxation{Module: m, Dependency: "core", Enforcement: catalog.EnforceNone})
		}
	}
}

// pickInstalled installs most modules at random versions; it reports
// whether the installed set came out consistent within a few tries.
func (w *world) pickInstalled(rng *rand.Rand) bool {
	for try := 0; try < 50; try++ {
		clear(w.installed)
		for i, m := range w.mods {
			if i > 0 && rng.IntN(w.prof.uninstalled) == 0 {
				continue
			}
			vs := w.versions[m]
			w.installed[m] = vs[rng.IntN(len(vs))].Version
		}
		if w.consistent(w.installedAssignment()) {
			return true
		}
	}
	return false
}

func (w *world) installedAssignment() map[string]catalog.Version {
	a := map[string]catalog.Version{}
	for m, v := range w.installed {
		a[m] = v
	}
	return a
}

func (w *world) release(m string, v catalog.Version) *catalog.Release {
	for i := range w.versions[m] {
		if w.versions[m][i].Version.Equal(v) {
			return &w.versions[m][i]
		}
	}
	return nil
}

// effective applies the policy's relaxations to a release's dependency.
func (w *world) effective(m string, d catalog.Dependency) catalog.Dependency {
	for _, r := range w.pol.Relax {
		if r.Module == m && r.Dependency == d.Module && d.UserEditable {
			d.Enforcement = r.Enforcement
		}
	}
	return d
}

// consistent checks an assignment: modules absent from a are disabled (or
// not installed). Every enabled module's dependencies must be met, and
// disabling a module must have disabled the installed modules whose
// installed version depends on it.
func (w *world) consistent(a map[string]catalog.Version) bool {
	for m, v := range a {
		for _, d := range w.release(m, v).Depends {
			d = w.effective(m, d)
			tv, ok := a[d.Module]
			if !ok || !d.Allows(tv) {
				return false
			}
		}
	}
	for m, iv := range w.installed {
		if _, on := a[m]; !on {
			continue
		}
		for _, d := range w.release(m, iv).Depends {
			if _, inst := w.installed[d.Module]; inst {
				if _, on := a[d.Module]; !on {
					return false
				}
			}
		}
	}
	return true
}

// kind classifies a change the way the scan documents it.
func (w *world) kind(m string, from, to *catalog.Release) catalog.ChangeKind {
	if m == "core" {
		return catalog.ClassifyRelease(from.Version, *to)
	}
	fs, ok1 := coreSeriesOf(from)
	ts, ok2 := coreSeriesOf(to)
	return catalog.ClassifyModule(from.Version, *to, ok1 && ok2 && fs != ts)
}

func coreSeriesOf(r *catalog.Release) (catalog.Series, bool) {
	for _, d := range r.Depends {
		if d.Module == "core" {
			return d.First.Series(), true
		}
	}
	return catalog.Series{}, false
}

// options lists the values module m may take: its installed version, the
// proposable newer ones, and (when it may be disabled) the zero Version.
func (w *world) options(m string, withNone bool) []catalog.Version {
	iv := w.installed[m]
	out := []catalog.Version{iv}
	if _, held := w.pol.Holds[m]; held {
		return out
	}
	for i := range w.versions[m] {
		r := &w.versions[m][i]
		if r.Version.Compare(iv) > 0 && w.proposable(m, r) {
			out = append(out, r.Version)
		}
	}
	if withNone && m != "core" {
		out = append(out, catalog.Version{})
	}
	return out
}

func (w *world) proposable(m string, r *catalog.Release) bool {
	min := w.pol.MinUpdate
	if r.Maturity < min {
		return false
	}
	if w.kind(m, w.release(m, w.installed[m]), r) != catalog.KindUpgrade {
		return true
	}
	du := !w.noDU[m]
	switch w.pol.DefaultUpgrade[m] {
	case On:
		du = true
	case Off:
		du = false
	}
	return du || slices.Contains(w.pol.Upgrades, m)
}

// enumerate lists once every consistent assignment of the installed
// modules where each takes its installed version, any newer eligible
// version, or none (disabled; never the core or a held module). Entries
// hold versions in w.order, the zero Version for none.
func (w *world) enumerate() {
	w.order = nil
	var choices [][]catalog.Version
	for _, m := range w.mods {
		iv, ok := w.installed[m]
		if !ok {
			continue
		}
		w.order = append(w.order, m)
		opts := []catalog.Version{iv}
		for _, r := range w.versions[m] {
			if _, held := w.pol.Holds[m]; !held && r.Version.Compare(iv) > 0 && r.Maturity >= w.pol.MinUpdate {
				opts = append(opts, r.Version)
			}
		}
		if _, held := w.pol.Holds[m]; !held && m != "core" {
			opts = append(opts, catalog.Version{})
		}
		choices = append(choices, opts)
	}
	w.consistentSets = nil
	cur := make([]catalog.Version, len(w.order))
	var rec func(i int)
	rec = func(i int) {
		if i == len(w.order) {
			if w.consistent(w.assignment(cur)) {
				w.consistentSets = append(w.consistentSets, slices.Clone(cur))
			}
			return
		}
		for _, o := range choices[i] {
			cur[i] = o
			rec(i + 1)
		}
	}
	rec(0)
}

func (w *world) assignment(vs []catalog.Version) map[string]catalog.Version {
	a := make(map[string]catalog.Version, len(vs))
	for i, v := range vs {
		if !v.IsZero() {
			a[w.order[i]] = v
		}
	}
	return a
}

// oracle answers, for module m at v (its own policy ignored, others within
// their proposable versions or disabled): whether it applies with nothing
// disabled, the size of the smallest disabled set (-1: none works), and
// whether a given disabled set works.
func (w *world) oracle(m string, v catalog.Version) (applicable bool, minSize int, ok func(set []string) bool) {
	minSize = -1
	var sets [][]string
	for _, vs := range w.consistentSets {
		if off, fits := w.fits(vs, m, v); fits {
			if len(off) == 0 {
				applicable = true
			}
			if minSize < 0 || len(off) < minSize {
				minSize = len(off)
			}
			sets = append(sets, off)
		}
	}
	return applicable, minSize, func(set []string) bool {
		return slices.ContainsFunc(sets, func(s []string) bool { return slices.Equal(s, set) })
	}
}

// fits reports whether assignment vs has m at v and every other module at a
// proposable version or disabled; off lists the disabled modules, sorted.
func (w *world) fits(vs []catalog.Version, m string, v catalog.Version) (off []string, ok bool) {
	for i, x := range w.order {
		switch {
		case x == m:
			if !vs[i].Equal(v) || vs[i].IsZero() {
				return nil, false
			}
		case vs[i].IsZero():
			off = append(off, x)
		case !slices.ContainsFunc(w.options(x, false), vs[i].Equal):
			return nil, false
		}
	}
	slices.Sort(off)
	return off, true
}

func (w *world) listings() []*catalog.Listing {
	var out []*catalog.Listing
	for _, m := range w.mods {
		out = append(out, &catalog.Listing{Schema: catalog.ListingSchema, Repository: "main", Module: m,
			DefaultUpgrade: !w.noDU[m], Versions: w.versions[m]})
	}
	return out
}

func (w *world) installedList() []Installed {
	var out []Installed
	for _, m := range w.mods {
		if v, ok := w.installed[m]; ok {
			out = append(out, Installed{Module: m, Version: v, Core: m == "core"})
		}
	}
	return out
}

func (w *world) String() string {
	var b strings.Builder
	for _, m := range w.mods {
		fmt.Fprintf(&b, "%s installed=%v noDU=%v held=%v\n", m, w.installed[m], w.noDU[m], w.pol.Holds[m] != "")
		for _, r := range w.versions[m] {
			fmt.Fprintf(&b, "  %s %s patch=%v:", r.Version, r.Maturity, r.Patch)
			for _, d := range r.Depends {
				fmt.Fprintf(&b, " [%s]", d)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "policy: %+v\n", w.pol)
	return b.String()
}

// TestOracle checks reports on small random catalogs against brute force:
// applicable versions are applicable, blocked ones are not, disable sets
// are sufficient and (when said so) minimal, and the target is consistent.
func TestOracle(t *testing.T) {
	var blocked, resolvable, multi, notices int
	defer func() {
		t.Logf("%d seeds: %d not applicable versions, %d with a disable set (%d of several modules), %d upgrade notices",
			oracleSeeds, blocked, resolvable, multi, notices)
		if resolvable < 200 || multi < 50 || notices < 1000 {
			t.Errorf("the random catalogs exercise too little; change the profiles")
		}
	}()
	for seed := uint64(1); seed <= oracleSeeds; seed++ {
		w := randomWorld(rand.New(rand.NewPCG(seed, 99)), profiles[seed%uint64(len(profiles))])
		w.enumerate()
		x, err := NewIndex(w.listings())
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		r, err := Scan(x, w.installedList(), w.pol)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if msg := w.check(r); msg != "" {
			t.Fatalf("seed %d: %s\n%s", seed, msg, w)
		}
		notices += len(r.UpgradeNotices)
		for _, c := range r.NotApplicable {
			blocked++
			if *c.Why.Resolvable {
				resolvable++
				if len(c.Why.Disable) > 1 {
					multi++
				}
			}
		}
	}
}

// check judges a report; it returns what is wrong, or "".
func (w *world) check(r *Report) string {
	for _, list := range [][]Candidate{r.Patches, r.Updates, r.Upgrades} {
		for _, c := range list {
			if app, _, _ := w.oracle(c.Module, c.To); !app || c.Stage != 1 {
				return fmt.Sprintf("%s %s is listed as applicable (stage %d), the oracle says %v", c.Module, c.To, c.Stage, app)
			}
		}
	}
	for _, c := range r.UpgradeNotices {
		if app, _, _ := w.oracle(c.Module, c.To); app != (c.Stage > 0) {
			return fmt.Sprintf("notice %s %s has stage %d, the oracle says applicable=%v", c.Module, c.To, c.Stage, app)
		}
	}
	for _, c := range r.NotApplicable {
		if msg := w.checkBlocked(c); msg != "" {
			return msg
		}
	}
	if msg := w.checkTarget(r); msg != "" {
		return msg
	}
	return w.checkComplete(r)
}

func (w *world) checkBlocked(c Candidate) string {
	app, minSize, ok := w.oracle(c.Module, c.To)
	var set []string
	for _, d := range c.Why.Disable {
		set = append(set, d.Module)
	}
	switch {
	case app:
		return fmt.Sprintf("%s %s is reported not applicable, the oracle applies it with nothing disabled", c.Module, c.To)
	case !*c.Why.Resolvable && minSize >= 0:
		return fmt.Sprintf("%s %s is reported unresolvable, the oracle disables %d modules", c.Module, c.To, minSize)
	case !*c.Why.Resolvable:
		return ""
	case !ok(set):
		return fmt.Sprintf("%s %s: disabling %v does not make it applicable (oracle minimum %d)", c.Module, c.To, set, minSize)
	case c.Why.DisableMinimal && len(set) != minSize:
		return fmt.Sprintf("%s %s: disable set %v is said minimal, the oracle needs only %d", c.Module, c.To, set, minSize)
	}
	return ""
}

// checkTarget checks the target is one consistent step within the options.
func (w *world) checkTarget(r *Report) string {
	a := w.installedAssignment()
	for _, ch := range r.Target {
		if ch.Stage != 1 || !slices.ContainsFunc(w.options(ch.Module, false), ch.To.Equal) {
			return fmt.Sprintf("target change %+v is not a proposable first step", ch)
		}
		a[ch.Module] = ch.To
	}
	if !w.consistent(a) {
		return fmt.Sprintf("target %v is not consistent", a)
	}
	return ""
}

// checkComplete checks every eligible newer version is listed exactly once.
func (w *world) checkComplete(r *Report) string {
	seen := map[string]int{}
	for _, list := range [][]Candidate{r.Patches, r.Updates, r.Upgrades, r.UpgradeNotices, r.NotApplicable} {
		for _, c := range list {
			seen[c.Module+" "+c.To.String()]++
		}
	}
	for m, iv := range w.installed {
		if _, held := w.pol.Holds[m]; held {
			continue
		}
		for _, rel := range w.versions[m] {
			key := m + " " + rel.Version.String()
			want := 0
			if rel.Version.Compare(iv) > 0 && rel.Maturity >= w.pol.MinUpdate {
				want = 1
			}
			if seen[key] != want {
				return fmt.Sprintf("%s is listed %d times, want %d", key, seen[key], want)
			}
		}
	}
	return ""
}
