package repo

import (
	"slices"

	"github.com/upkeep-erp/upkeep/catalog"
)

// PublishOrder orders a batch of manifests for publishing, as indexes into
// ms: the core's versions first (a series repository exists only once its
// core is published), then every other version after the versions of the
// batch it depends on, each module's versions in ascending order. Versions
// with nothing between them keep the order they were given in; a cycle
// keeps the rest in the given order (publishing then names the problem).
func PublishOrder(ms []*catalog.Manifest) []int {
	after := make([][]int, len(ms)) // after[i]: what must be published before i
	for i, m := range ms {
		for j, o := range ms {
			if i != j && mustPrecede(o, m) {
				after[i] = append(after[i], j)
			}
		}
	}
	done := make([]bool, len(ms))
	out := make([]int, 0, len(ms))
	for len(out) < len(ms) {
		next := -1
		for i := range ms {
			if !done[i] && !slices.ContainsFunc(after[i], func(j int) bool { return !done[j] }) {
				next = i
				break
			}
		}
		if next < 0 { // a cycle: the rest as given
			for i := range ms {
				if !done[i] {
					out = append(out, i)
				}
			}
			return out
		}
		done[next] = true
		out = append(out, next)
	}
	return out
}

// mustPrecede says whether a must be published before b.
func mustPrecede(a, b *catalog.Manifest) bool {
	switch {
	case a.Core != b.Core:
		return a.Core
	case a.Name == b.Name:
		return a.Version.Less(b.Version)
	}
	return slices.ContainsFunc(b.Depends, func(d catalog.Dependency) bool { return d.Module == a.Name })
}
