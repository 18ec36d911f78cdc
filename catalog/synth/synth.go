// Package synth generates deterministic synthetic catalogs for benchmarks: a core with series 2.50, 3.0 and 3.1 and many modules with versions per series.
package synth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Config sizes a synthetic catalog.
type Config struct {
	Modules           int    // besides the core
	VersionsPerModule int    // spread over the three series
	Seed              uint64 // same seed, same catalog
}

// Default is the benchmark catalog of the issues: 20,000 modules and
// 200,000 versions.
func Default() Config { return Config{Modules: 20000, VersionsPerModule: 10, Seed: 1} }

// Release is one synthetic version and its (fake but well-formed) archive.
type Release struct {
	Manifest *catalog.Manifest
	Archive  catalog.ArchiveRef
}

// Generate returns the catalog in dependency order (core first).
func Generate(cfg Config) []Release {
	var out []Release
	Each(cfg, func(rels []Release) { out = append(out, rels...) })
	return out
}

// Each hands f the catalog Generate returns one module at a time (the core
// first, then each module's versions ascending), so that a large catalog
// need not be held whole; f may keep the slices.
func Each(cfg Config, f func([]Release)) {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	f(coreReleases())
	for i := 0; i < cfg.Modules; i++ {
		f(moduleReleases(rng, i, cfg.VersionsPerModule))
	}
}

// ModuleName is the name of synthetic module i.
func ModuleName(i int) string { return fmt.Sprintf("m%05d", i) }

func coreReleases() []Release {
	var out []Release
	add := func(series string, n int, from string) {
		for p := 0; p < n; p++ {
			m := &catalog.Manifest{Name: "core", Core: true, DefaultUpgrade: true, Maturity: catalog.MaturityConfirmedStable,
				Version: catalog.MustParseVersion(fmt.Sprintf("%s.%d", series, p)), Summary: "synthetic core"}
			if from != "" {
				v := catalog.MustParseVersion(from)
				m.UpgradeFrom = &v
			}
			out = append(out, release(m))
		}
	}
	add("2.50", 30, "")
	add("3.0", 20, "2.50.22")
	add("3.1", 10, "3.0.15")
	return out
}

func moduleReleases(rng *rand.Rand, i, n int) []Release {
	name := ModuleName(i)
	du := rng.IntN(10) != 0
	out := make([]Release, 0, n)
	for k := 0; k < n; k++ {
		major, series, idx := planFor(k, n)
		m := &catalog.Manifest{Name: name, DefaultUpgrade: du, Summary: "synthetic module " + name,
			Version:  catalog.MustParseVersion(fmt.Sprintf("%d.%d.%d", major, idx/2, idx%2)),
			Maturity: catalog.Maturity(2 + rng.IntN(3)), Patch: idx%2 == 1 && rng.IntN(2) == 0}
		m.Depends = dependencies(rng, i, series, major)
		out = append(out, release(m))
	}
	return out
}

// planFor puts version k of n into a series: 40% for 2.50, 40% for 3.0,
// the rest for 3.1; idx counts versions within that series.
func planFor(k, n int) (major uint32, series string, idx int) {
	a, b := 4*n/10, 8*n/10
	switch {
	case k < a:
		return 1, "2.50", k
	case k < b:
		return 2, "3.0", k - a
	}
	return 3, "3.1", k - b
}

// dependencies: the core of the series, and up to three earlier modules,
// mostly pinned to the same series, sometimes open-ended.
func dependencies(rng *rand.Rand, i int, series string, major uint32) []catalog.Dependency {
	deps := []catalog.Dependency{{Module: "core", First: catalog.MustParseVersion(series + ".0")}}
	seen := map[int]bool{}
	for n := rng.IntN(4); n > 0 && i > 0; n-- {
		j := rng.IntN(i)
		if seen[j] {
			continue
		}
		seen[j] = true
		d := catalog.Dependency{Module: ModuleName(j), First: catalog.MustParseVersion(fmt.Sprintf("%d.0.0", major))}
		if rng.IntN(10) == 0 {
			d.Enforcement = catalog.EnforceNone
		}
		deps = append(deps, d)
	}
	return deps
}

func release(m *catalog.Manifest) Release {
	sum := sha256.Sum256([]byte(m.Name + "@" + m.Version.String()))
	h := hex.EncodeToString(sum[:])
	return Release{Manifest: m, Archive: catalog.ArchiveRef{Path: "archives/" + h + ".zip", Length: 4096, SHA256: h}}
}
