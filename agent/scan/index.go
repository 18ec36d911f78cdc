package scan

import (
	"fmt"
	"slices"
	"sync"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Index is the merged view of the subscribed repositories' listings: per
// module, every release once (from the first repository that lists it),
// ascending, and the module's default_upgrade flag. NewIndex only links the
// listings by module; a module is merged the first time a scan needs it.
// Build the Index once per set of listings and reuse it: it is safe for
// concurrent scans, and no scan changes what it says.
type Index struct {
	listings []*catalog.Listing
	head     map[string]int32 // module -> its number
	first    []int32          // module number -> its first listing
	tail     []int32          // module number -> its last listing
	next     []int32          // listing -> the module's next listing, or -1
	repos    []string

	mu     sync.Mutex
	merged map[string]*listed
}

// listed is one module's merged releases.
type listed struct {
	name           string
	defaultUpgrade bool
	duFrom         string // repository whose flag was taken first
	offers         []offer
	warnings       []string // what merging found suspicious
}

// offer is a release and the repository it is taken from.
type offer struct {
	rel  *catalog.Release
	repo string
}

// NewIndex links listings, in subscription order: when a version appears in
// several repositories the first listing's release is kept, and when the
// repositories disagree on a module's default_upgrade flag, false wins. The
// listings must have passed catalog.ParseListing or Validate (NewIndex checks
// only what it relies on); the releases are referenced, not copied, so do
// not change them while the Index is in use.
func NewIndex(listings []*catalog.Listing) (*Index, error) {
	x := &Index{listings: listings, head: make(map[string]int32, len(listings)), next: make([]int32, len(listings)),
		merged: map[string]*listed{}}
	lastRepo := ""
	for i, l := range listings {
		if err := checkListing(i, l); err != nil {
			return nil, fmt.Errorf("scan.NewIndex: %w", err)
		}
		if l.Repository != lastRepo && !slices.Contains(x.repos, l.Repository) {
			x.repos = append(x.repos, l.Repository)
		}
		lastRepo = l.Repository
		x.next[i] = -1
		if h, ok := x.head[l.Module]; ok {
			x.next[x.tail[h]] = int32(i)
			x.tail[h] = int32(i)
			continue
		}
		x.head[l.Module] = int32(len(x.tail))
		x.first = append(x.first, int32(i))
		x.tail = append(x.tail, int32(i))
	}
	return x, nil
}

// checkListing checks what the index relies on and can check cheaply: a
// module and a repository. Ascending versions are ParseListing's promise.
func checkListing(i int, l *catalog.Listing) error {
	switch {
	case l == nil:
		return fmt.Errorf("listing %d is missing (nil); pass only fetched listings", i)
	case l.Module == "":
		return fmt.Errorf("listing %d names no module; fetch it again", i)
	case l.Repository == "":
		return fmt.Errorf("listing of %s names no repository; fetch it again", l.Module)
	}
	return nil
}

// module returns module name's merged releases, or nil when no listing has it.
func (x *Index) module(name string) *listed {
	x.mu.Lock()
	defer x.mu.Unlock()
	if m, ok := x.merged[name]; ok {
		return m
	}
	h, ok := x.head[name]
	if !ok {
		return nil
	}
	i := x.first[h]
	m := &listed{name: name, defaultUpgrade: x.listings[i].DefaultUpgrade, duFrom: x.listings[i].Repository}
	for ; i >= 0; i = x.next[i] {
		m.add(x.listings[i])
	}
	x.merged[name] = m
	return m
}

// add merges one listing into module m.
func (m *listed) add(l *catalog.Listing) {
	if m.duFrom != l.Repository && m.defaultUpgrade != l.DefaultUpgrade {
		m.warnings = append(m.warnings, fmt.Sprintf("repositories %s and %s disagree on %s's default_upgrade flag; the scan uses false",
			m.duFrom, l.Repository, l.Module))
		m.defaultUpgrade = false
	}
	vs := l.Versions
	if n := len(m.offers); n == 0 || len(vs) > 0 && m.offers[n-1].rel.Version.Less(vs[0].Version) {
		for i := range vs { // the listing ascends and comes after: append
			m.offers = append(m.offers, offer{rel: &vs[i], repo: l.Repository})
		}
		return
	}
	for i := range vs {
		m.merge(offer{rel: &vs[i], repo: l.Repository})
	}
}

// merge inserts o into m's ascending offers unless the version is there already.
func (m *listed) merge(o offer) {
	i, found := slices.BinarySearchFunc(m.offers, o.rel.Version, func(e offer, v catalog.Version) int {
		return e.rel.Version.Compare(v)
	})
	if !found {
		m.offers = slices.Insert(m.offers, i, o)
		return
	}
	if prev := m.offers[i]; prev.rel.Archive.SHA256 != o.rel.Archive.SHA256 {
		m.warnings = append(m.warnings, fmt.Sprintf("%s %s differs between repositories %s and %s (different archives); the scan uses %s's; tell the repositories' operators",
			m.name, o.rel.Version, prev.repo, o.repo, prev.repo))
	}
}

// Repositories returns the repositories merged, in the order first seen.
func (x *Index) Repositories() []string { return slices.Clone(x.repos) }

// Warnings returns what merging found suspicious (repositories that
// disagree) about the modules scans have needed so far, sorted by module.
func (x *Index) Warnings() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	names := make([]string, 0, len(x.merged))
	for name := range x.merged {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []string
	for _, name := range names {
		if m := x.merged[name]; m != nil {
			out = append(out, m.warnings...)
		}
	}
	return out
}

// has reports whether some listing has module name (without merging it).
func (x *Index) has(name string) bool {
	_, ok := x.head[name]
	return ok
}

// Modules returns how many modules the index lists.
func (x *Index) Modules() int { return len(x.first) }

// find returns the offer of module at version v, if listed.
func (m *listed) find(v catalog.Version) (offer, bool) {
	if m == nil {
		return offer{}, false
	}
	i, found := slices.BinarySearchFunc(m.offers, v, func(e offer, v catalog.Version) int {
		return e.rel.Version.Compare(v)
	})
	if !found {
		return offer{}, false
	}
	return m.offers[i], true
}
