package scan

import (
	"fmt"
	"slices"
	"sync"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Index is the merged view of the subscribed repositories' listings: per
// module, every release once (from the first repository that lists it),
// ascending, and the module's default_upgrade flag. It reads a Listings;
// a module is merged the first time a scan needs it. Build the Index once
// per set of listings and reuse it: it is safe for concurrent scans, and no
// scan changes what it says.
type Index struct {
	set *Listings

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
	ver  catalog.Version
	rel  *crel
	repo string
}

// NewIndex indexes listings, in subscription order: when a version appears
// in several repositories the first listing's release is kept, and when the
// repositories disagree on a module's default_upgrade flag, false wins. The
// listings must have passed catalog.ParseListing or Validate (NewIndex checks
// only what it relies on). It copies them into a Listings, so they may be
// dropped afterwards; an agent that holds many listings saves memory by
// adding each to a Listings as it decodes it and calling Listings.Index.
func NewIndex(listings []*catalog.Listing) (*Index, error) {
	var s Listings
	for _, l := range listings {
		if err := s.add(l); err != nil {
			return nil, fmt.Errorf("the repositories' listings cannot be used together: %w", err)
		}
	}
	return s.Index(), nil
}

// Index returns the index of the listings added so far; the Listings then
// refuses more Adds. Call it after the last Add (not concurrently with Add
// or another Index); the Index shares the listings' arrays, and each Index
// built from them merges modules on its own.
func (s *Listings) Index() *Index {
	s.indexed = true
	s.strIDs, s.verIDs, s.depIDs = nil, nil, nil // only Add needs them
	return &Index{set: s, merged: map[string]*listed{}}
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
	h, ok := x.set.mods[name]
	if !ok {
		return nil
	}
	s := x.set
	i := s.first[h]
	m := &listed{name: name, defaultUpgrade: s.lists[i].du, duFrom: s.strs[s.lists[i].repo]}
	for ; i >= 0; i = s.lists[i].next {
		m.add(s, &s.lists[i])
	}
	x.merged[name] = m
	return m
}

// add merges listing c of s into module m.
func (m *listed) add(s *Listings, c *clist) {
	repo := s.strs[c.repo]
	if m.duFrom != repo && m.defaultUpgrade != c.du {
		m.warnings = append(m.warnings, fmt.Sprintf("repositories %s and %s disagree on %s's default_upgrade flag; the scan uses false",
			m.duFrom, repo, m.name))
		m.defaultUpgrade = false
	}
	rels := s.rels[c.rels : c.rels+c.n]
	if n := len(m.offers); n == 0 || len(rels) > 0 && m.offers[n-1].ver.Less(s.version(&rels[0])) {
		m.offers = slices.Grow(m.offers, len(rels))
		for i := range rels { // the listing ascends and comes after: append
			m.offers = append(m.offers, offer{ver: s.version(&rels[i]), rel: &rels[i], repo: repo})
		}
		return
	}
	for i := range rels {
		m.merge(offer{ver: s.version(&rels[i]), rel: &rels[i], repo: repo})
	}
}

// merge inserts o into m's ascending offers unless the version is there already.
func (m *listed) merge(o offer) {
	i, found := slices.BinarySearchFunc(m.offers, o.ver, func(e offer, v catalog.Version) int { return e.ver.Compare(v) })
	if !found {
		m.offers = slices.Insert(m.offers, i, o)
		return
	}
	if prev := m.offers[i]; prev.rel.sha != o.rel.sha {
		m.warnings = append(m.warnings, fmt.Sprintf("%s %s differs between repositories %s and %s (different archives); the scan uses %s's; tell the repositories' operators",
			m.name, o.ver, prev.repo, o.repo, prev.repo))
	}
}

// Repositories returns the repositories merged, in the order first seen.
func (x *Index) Repositories() []string { return slices.Clone(x.set.repos) }

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
	_, ok := x.set.mods[name]
	return ok
}

// Modules returns how many modules the index lists.
func (x *Index) Modules() int { return len(x.set.first) }

// find returns the offer of module at version v, if listed.
func (m *listed) find(v catalog.Version) (offer, bool) {
	if m == nil {
		return offer{}, false
	}
	i, found := slices.BinarySearchFunc(m.offers, v, func(e offer, v catalog.Version) int { return e.ver.Compare(v) })
	if !found {
		return offer{}, false
	}
	return m.offers[i], true
}
