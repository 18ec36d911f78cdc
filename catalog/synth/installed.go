package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Installed is one module of a synthetic instance.
type Installed struct {
	Name    string
	Version catalog.Version
	Core    bool
}

// InstanceConfig sizes a synthetic instance.
type InstanceConfig struct {
	Modules int    // installed modules in all, the core and the private ones included
	Blocked int    // modules blocked on purpose (a third pinned, a third needing a newer core, a third held)
	Seed    uint64 // same seed and catalog, same instance
}

// DefaultInstance is the benchmark instance of the issues: 400 modules on
// core 2.50.10, 30 of them blocked.
func DefaultInstance() InstanceConfig { return InstanceConfig{Modules: 400, Blocked: 30, Seed: 7} }

// PrivateRepository names the repository of Instance.Private.
const PrivateRepository = "acme"

// Instance is a consistent installed set over a Generate catalog, and what
// blocks some of it: private modules pinning installed modules with minor
// enforcement (acme-pin-N) or pinning the core (acme-legacy), private patch
// releases that need a newer core than the pinned one, and held private
// modules (acme-keep-N) with an update available. The holds lock nothing
// else: a held 2.50 module would lock the core (every synthetic 2.50
// version needs core <2.51) and leave the core upgrade nothing to compute.
type Instance struct {
	Installed []Installed
	Private   []Release // the private repository's releases
	Holds     []string
	Pinned    []string // modules the acme-pin-N modules pin
	NeedCore  []string // modules whose private patch needs a newer core
}

// NewInstance picks modules of cat (from Generate) on core 2.50.10 at their
// first 2.50 versions, with every dependency installed. It reads only each
// module's first release, so cat may hold just those (in Generate's order).
func NewInstance(cat []Release, cfg InstanceConfig) Instance {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5851f42d4c957f2d))
	first := firstVersions(cat)
	inst := Instance{Installed: []Installed{{Name: "core", Version: catalog.MustParseVersion("2.50.10"), Core: true}}}
	chosen := map[string]*catalog.Manifest{}
	var order []string
	third := cfg.Blocked / 3
	holds := cfg.Blocked - 2*third
	budget := cfg.Modules - 1 - third - 1 - holds // the core, the pins, acme-legacy and the held modules
	for tries := 0; len(order) < budget && tries < 100*cfg.Modules; tries++ {
		addWithDeps(first, chosen, &order, first[ModuleName(rng.IntN(len(first)))], budget)
	}
	for _, name := range order {
		inst.Installed = append(inst.Installed, Installed{Name: name, Version: chosen[name].Version})
	}
	inst.block(rng, chosen, order, holds, third)
	return inst
}

// firstVersions maps every module but the core to its first release.
func firstVersions(cat []Release) map[string]*catalog.Manifest {
	out := map[string]*catalog.Manifest{}
	for _, r := range cat {
		if _, ok := out[r.Manifest.Name]; !ok && !r.Manifest.Core {
			out[r.Manifest.Name] = r.Manifest
		}
	}
	return out
}

// addWithDeps installs m and, first, what it needs, if all fit in budget.
func addWithDeps(first map[string]*catalog.Manifest, chosen map[string]*catalog.Manifest, order *[]string, m *catalog.Manifest, budget int) {
	var need []*catalog.Manifest
	var walk func(*catalog.Manifest)
	seen := map[string]bool{}
	walk = func(m *catalog.Manifest) {
		if m == nil || chosen[m.Name] != nil || seen[m.Name] {
			return
		}
		seen[m.Name] = true
		for _, d := range m.Depends {
			walk(first[d.Module])
		}
		need = append(need, m)
	}
	walk(m)
	if len(*order)+len(need) > budget {
		return
	}
	for _, n := range need {
		chosen[n.Name] = n
		*order = append(*order, n.Name)
	}
}

// block adds the pins, the core pin with patches that need a newer core, and the holds.
func (inst *Instance) block(rng *rand.Rand, chosen map[string]*catalog.Manifest, order []string, holds, third int) {
	pick := slices.Clone(order)
	rng.Shuffle(len(pick), func(i, j int) { pick[i], pick[j] = pick[j], pick[i] })
	coreDep := catalog.Dependency{Module: "core", First: catalog.MustParseVersion("2.50.0")}
	for i := 0; i < third && i < len(pick); i++ {
		m := chosen[pick[i]]
		pin := privateModule(fmt.Sprintf("acme-pin-%d", i+1), coreDep,
			catalog.Dependency{Module: m.Name, First: m.Version, Enforcement: catalog.EnforceMinor})
		inst.Private = append(inst.Private, pin)
		inst.Installed = append(inst.Installed, Installed{Name: pin.Manifest.Name, Version: pin.Manifest.Version})
		inst.Pinned = append(inst.Pinned, m.Name)
	}
	legacy := privateModule("acme-legacy", catalog.Dependency{Module: "core", First: catalog.MustParseVersion("2.50.10"), Enforcement: catalog.EnforceMinor})
	inst.Private = append(inst.Private, legacy)
	inst.Installed = append(inst.Installed, Installed{Name: legacy.Manifest.Name, Version: legacy.Manifest.Version})
	for i := third; i < 2*third && i < len(pick); i++ {
		inst.Private = append(inst.Private, needsNewerCore(chosen[pick[i]]))
		inst.NeedCore = append(inst.NeedCore, pick[i])
	}
	open := catalog.Dependency{Module: "core", First: catalog.MustParseVersion("2.50.0"), Enforcement: catalog.EnforceNone}
	for i := 0; i < holds; i++ {
		keep := privateModule(fmt.Sprintf("acme-keep-%d", i+1), open)
		next := *keep.Manifest
		next.Version = catalog.MustParseVersion("1.0.1")
		inst.Private = append(inst.Private, keep, release(&next))
		inst.Installed = append(inst.Installed, Installed{Name: keep.Manifest.Name, Version: keep.Manifest.Version})
		inst.Holds = append(inst.Holds, keep.Manifest.Name)
	}
}

// privateModule is version 1.0.0 of a private module with deps.
func privateModule(name string, deps ...catalog.Dependency) Release {
	return release(&catalog.Manifest{Name: name, Version: catalog.MustParseVersion("1.0.0"), Summary: "private module " + name,
		DefaultUpgrade: true, Maturity: catalog.MaturityConfirmedStable, Depends: deps})
}

// needsNewerCore is a private patch of m (m's version plus ".1") that needs core 2.50.25.
func needsNewerCore(m *catalog.Manifest) Release {
	v, _ := m.Version.Append(1)
	deps := []catalog.Dependency{{Module: "core", First: catalog.MustParseVersion("2.50.25")}}
	for _, d := range m.Depends {
		if d.Module != "core" {
			deps = append(deps, d)
		}
	}
	return release(&catalog.Manifest{Name: m.Name, Version: v, Summary: "private patch of " + m.Name, DefaultUpgrade: m.DefaultUpgrade,
		Maturity: catalog.MaturityConfirmedStable, Patch: true, Depends: deps})
}

// releaseTime is the publication time of every synthetic listing entry.
var releaseTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// SeriesOf returns the core series repository a release of Generate goes
// to: a core release's own series; for a module, the series of its core dependency.
func SeriesOf(m *catalog.Manifest) string {
	if m.Core {
		return m.Version.Series().String()
	}
	for _, d := range m.Depends {
		if d.Module == "core" {
			return d.First.Series().String()
		}
	}
	return "2.50"
}

// Listings turns releases into one listing per repository and module, in
// the order repositories and modules first appear; repoOf names a release's
// repository. Versions must come ascending per module, as Generate gives them.
func Listings(rels []Release, repoOf func(*catalog.Manifest) string) []*catalog.Listing {
	var out []*catalog.Listing
	at := map[[2]string]*catalog.Listing{}
	for _, r := range rels {
		m := r.Manifest
		key := [2]string{repoOf(m), m.Name}
		l := at[key]
		if l == nil {
			l = &catalog.Listing{Schema: catalog.ListingSchema, Repository: key[0], Module: m.Name, DefaultUpgrade: m.DefaultUpgrade}
			at[key] = l
			out = append(out, l)
		}
		l.Versions = append(l.Versions, m.Release(r.Archive, releaseTime))
	}
	return out
}
