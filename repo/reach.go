package repo

import (
	"fmt"
	"sort"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// placed is a published version of a module and the repositories holding it.
type placed struct {
	Version catalog.Version
	Repos   map[string]bool
}

// reach returns the series repositories a release belongs in. A core release
// belongs to its own series. Any other release belongs to every series in
// which each of its dependencies can be met by a version placed there; a
// release without dependencies belongs to every series. It does no I/O:
// versionsOf supplies what is published.
func reach(core bool, v catalog.Version, deps []catalog.Dependency, versionsOf func(string) []placed, series []string) map[string]bool {
	if core {
		return map[string]bool{v.Series().String(): true}
	}
	out := map[string]bool{}
	for _, s := range series {
		out[s] = true
	}
	for _, d := range deps {
		met := metIn(d, versionsOf(d.Module))
		for s := range out {
			if !met[s] {
				delete(out, s)
			}
		}
	}
	return out
}

// metIn returns the repositories in which dependency d can be met.
func metIn(d catalog.Dependency, versions []placed) map[string]bool {
	met := map[string]bool{}
	for _, p := range versions {
		if d.Allows(p.Version) {
			for r := range p.Repos {
				met[r] = true
			}
		}
	}
	return met
}

// explainUnreachable says, dependency by dependency, where each can be met,
// so a publisher sees why a release reaches no repository; with no series
// repository yet, that the core comes first.
func explainUnreachable(name string, v catalog.Version, deps []catalog.Dependency, versionsOf func(string) []placed, series []string) string {
	if len(series) == 0 {
		return fmt.Sprintf("%s %s reaches no repository: no core is published yet, and each core series is a repository; publish the core version it is for first (the same command takes a whole batch, in any order)", name, v)
	}
	parts := make([]string, 0, len(deps))
	for _, d := range deps {
		met := sortedKeys(metIn(d, versionsOf(d.Module)))
		where := "no published version satisfies it"
		if len(met) > 0 {
			where = "met in " + strings.Join(met, ", ")
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", d, where))
	}
	return fmt.Sprintf("%s %s reaches no repository: its dependencies cannot all be met in one core series: %s; publish the versions it needs first, or fix its depends",
		name, v, strings.Join(parts, "; "))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
