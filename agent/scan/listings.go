package scan

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Listings holds the subscribed repositories' listings in the compact form
// the scan reads. Strings, versions and dependencies are interned and
// referenced by number, an archive digest is 32 bytes, and the releases sit
// in one pointer-free array (80 bytes each): the benchmark's 200,000
// versions take 24 MiB rather than the 127 MiB of their catalog.Listing
// values, and add next to nothing to the garbage collector's work.
//
// It keeps what the scan reads: each release's version, summary, core and
// patch and update_all flags, maturity, upgrade_from, dependencies, scripts, archive, notes
// and advisories (the last two beside the array, for the releases that have some);
// not its publication time or extended_from. Add the listings in
// subscription order (one at a time, as they are decoded, so the decoded
// listings need not stay in memory), then build the Index with Index. The
// zero Listings is empty and ready to use; it is not safe for concurrent Adds.
type Listings struct {
	strs    []string // interned strings
	strIDs  map[string]uint32
	vers    []catalog.Version // interned versions
	verIDs  map[catalog.Version]uint32
	deps    []cdep // interned dependencies
	depIDs  map[cdep]uint32
	depRefs []uint32  // each release's dependencies, consecutive
	scripts []cscript // each release's scripts, consecutive
	infos   []cinfo   // the notes and advisories of the releases that have some
	rels    []crel
	lists   []clist
	mods    map[string]int32 // module -> its number
	first   []int32          // module number -> its first listing
	tail    []int32          // module number -> its last listing
	repos   []string         // in the order first seen
	indexed bool             // an Index reads these listings: no more Adds
}

// clist is one listing: a repository's releases of one module.
type clist struct {
	repo, module uint32 // strings
	rels, n      uint32 // its releases: rels[rels : rels+n]
	next         int32  // the module's next listing, or -1
	du           bool   // default_upgrade
}

// crel is one release.
type crel struct {
	sha          [32]byte // archive sha256
	length       int64    // archive length
	version      uint32
	summary      uint32 // string
	upgradeFrom  uint32 // optional version
	path         uint32 // optional string: the archive path; none: the usual archives/<sha256>.zip
	deps, ndeps  uint32 // depRefs[deps : deps+ndeps]
	scripts, nsc uint32 // scripts[scripts : scripts+nsc]
	info         uint32 // optional: infos[info-1]
	maturity     int8
	flags        uint8
}

// cinfo is what a release says about itself: its notes and advisories.
type cinfo struct {
	notes      string
	advisories []catalog.Advisory
}

const (
	relCore      uint8 = 1 << iota // Release.Core
	relPatch                       // Release.Patch
	relUpdateAll                   // Release.UpdateAll
)

// cdep is one dependency.
type cdep struct {
	module, first, upper uint32 // string, version, optional version
	enforcement          int32
	inclusive, editable  bool
}

// cscript is one migration script.
type cscript struct{ phase, path, from, to uint32 } // strings, optional version, version

// An optional reference is the number plus one; 0 means none.
func opt(id uint32) uint32 { return id + 1 }

// Len returns how many listings were added.
func (s *Listings) Len() int { return len(s.lists) }

// Add appends a listing, after the ones added before it (its repository
// comes later in the subscription order, or is the same). It copies what
// the scan reads, so l may be dropped or changed afterwards. l must have
// passed catalog.ParseListing or Validate; Add checks only what it relies on.
func (s *Listings) Add(l *catalog.Listing) error {
	if err := s.add(l); err != nil {
		return fmt.Errorf("the repositories' listings cannot be used together: %w", err)
	}
	return nil
}

func (s *Listings) add(l *catalog.Listing) error {
	if s.indexed {
		return errIndexed
	}
	if err := checkListing(len(s.lists), l); err != nil {
		return err
	}
	if !s.fits(l) {
		return fmt.Errorf("listing of %s: too many releases in all to index; subscribe to fewer repositories", l.Module)
	}
	if err := checkArchives(l); err != nil {
		return err
	}
	s.init()
	c := clist{repo: s.str(l.Repository), module: s.str(l.Module), rels: uint32(len(s.rels)), n: uint32(len(l.Versions)), next: -1, du: l.DefaultUpgrade}
	for i := range l.Versions {
		s.rels = append(s.rels, s.release(&l.Versions[i]))
	}
	s.link(l.Module, int32(len(s.lists)))
	if !slices.Contains(s.repos, l.Repository) {
		s.repos = append(s.repos, l.Repository)
	}
	s.lists = append(s.lists, c)
	return nil
}

var errIndexed = errors.New("an Index already reads these listings; add every listing before calling Index, or start a new Listings")

// fits reports whether l's releases, dependencies and scripts can still be
// numbered with 32 bits.
func (s *Listings) fits(l *catalog.Listing) bool {
	deps, scripts := uint64(len(s.depRefs)), uint64(len(s.scripts))
	for i := range l.Versions {
		deps += uint64(len(l.Versions[i].Depends))
		scripts += uint64(len(l.Versions[i].Scripts))
	}
	return max(uint64(len(s.rels)+len(l.Versions)), deps, scripts) <= math.MaxUint32
}

// checkArchives checks the archive digests, which the compact form keeps as bytes.
func checkArchives(l *catalog.Listing) error {
	for i := range l.Versions {
		r := &l.Versions[i]
		if !isDigest(r.Archive.SHA256) {
			return fmt.Errorf("listing of %s in %s: version %s: archive sha256 %q is not 64 lowercase hexadecimal digits; fetch the listing again",
				l.Module, l.Repository, r.Version, r.Archive.SHA256)
		}
	}
	return nil
}

func isDigest(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Listings) init() {
	if s.strIDs != nil {
		return
	}
	s.strIDs, s.verIDs = map[string]uint32{}, map[catalog.Version]uint32{}
	s.depIDs, s.mods = map[cdep]uint32{}, map[string]int32{}
}

// link appends listing i to its module's chain.
func (s *Listings) link(module string, i int32) {
	if h, ok := s.mods[module]; ok {
		s.lists[s.tail[h]].next = i
		s.tail[h] = i
		return
	}
	s.mods[module] = int32(len(s.first))
	s.first = append(s.first, i)
	s.tail = append(s.tail, i)
}

// release compacts one release.
func (s *Listings) release(r *catalog.Release) crel {
	c := crel{length: r.Archive.Length, version: s.ver(r.Version), summary: s.str(r.Summary), maturity: int8(r.Maturity),
		deps: uint32(len(s.depRefs)), ndeps: uint32(len(r.Depends)), scripts: uint32(len(s.scripts)), nsc: uint32(len(r.Scripts))}
	decodeDigest(&c.sha, r.Archive.SHA256)
	if !isArchivePath(r.Archive.Path, r.Archive.SHA256) {
		c.path = opt(s.str(r.Archive.Path))
	}
	if r.UpgradeFrom != nil {
		c.upgradeFrom = opt(s.ver(*r.UpgradeFrom))
	}
	if r.Notes != "" || len(r.Advisories) > 0 {
		s.infos = append(s.infos, cinfo{notes: r.Notes, advisories: slices.Clone(r.Advisories)})
		c.info = opt(uint32(len(s.infos) - 1))
	}
	if r.Core {
		c.flags |= relCore
	}
	if r.Patch {
		c.flags |= relPatch
	}
	if r.UpdateAll {
		c.flags |= relUpdateAll
	}
	for _, d := range r.Depends {
		s.depRefs = append(s.depRefs, s.dep(d))
	}
	for _, sc := range r.Scripts {
		cs := cscript{phase: s.str(sc.Phase), path: s.str(sc.Path), to: s.ver(sc.To)}
		if sc.From != nil {
			cs.from = opt(s.ver(*sc.From))
		}
		s.scripts = append(s.scripts, cs)
	}
	return c
}

// archivePath is where the central repository puts an archive.
func archivePath(sha string) string { return "archives/" + sha + ".zip" }

// isArchivePath reports whether p is archivePath(sha), without building it.
func isArchivePath(p, sha string) bool {
	return len(p) == len(sha)+len("archives/.zip") && strings.HasPrefix(p, "archives/") && strings.HasSuffix(p, ".zip") && p[len("archives/"):len(p)-len(".zip")] == sha
}

// decodeDigest reads a digest that checkArchives accepted.
func decodeDigest(dst *[32]byte, h string) {
	val := func(c byte) byte {
		if c <= '9' {
			return c - '0'
		}
		return c - 'a' + 10
	}
	for i := range dst {
		dst[i] = val(h[2*i])<<4 | val(h[2*i+1])
	}
}

func (s *Listings) str(v string) uint32 {
	if id, ok := s.strIDs[v]; ok {
		return id
	}
	id := uint32(len(s.strs))
	s.strs = append(s.strs, v)
	s.strIDs[v] = id
	return id
}

func (s *Listings) ver(v catalog.Version) uint32 {
	if id, ok := s.verIDs[v]; ok {
		return id
	}
	id := uint32(len(s.vers))
	s.vers = append(s.vers, v)
	s.verIDs[v] = id
	return id
}

func (s *Listings) dep(d catalog.Dependency) uint32 {
	c := cdep{module: s.str(d.Module), first: s.ver(d.First), enforcement: int32(d.Enforcement), editable: d.UserEditable}
	if d.Upper != nil {
		c.upper, c.inclusive = opt(s.ver(d.Upper.Version)), d.Upper.Inclusive
	}
	if id, ok := s.depIDs[c]; ok {
		return id
	}
	id := uint32(len(s.deps))
	s.deps = append(s.deps, c)
	s.depIDs[c] = id
	return id
}

// The scan reads a release through these accessors, so that it never
// rebuilds a catalog.Release: merging a module's listings allocates nothing
// per release but its dependencies.

func (r *crel) patch() bool                         { return r.flags&relPatch != 0 }
func (r *crel) updateAll() bool                     { return r.flags&relUpdateAll != 0 }
func (r *crel) mat() catalog.Maturity               { return catalog.Maturity(r.maturity) }
func (s *Listings) summary(r *crel) string          { return s.strs[r.summary] }
func (s *Listings) version(r *crel) catalog.Version { return s.vers[r.version] }

// notes returns r's release notes ("" when none).
func (s *Listings) notes(r *crel) string {
	if r.info == 0 {
		return ""
	}
	return s.infos[r.info-1].notes
}

// advisories returns the advisories r carries.
func (s *Listings) advisories(r *crel) []catalog.Advisory {
	if r.info == 0 {
		return nil
	}
	return s.infos[r.info-1].advisories
}

// upgradeFrom returns r's upgrade_from, if it has one.
func (s *Listings) upgradeFrom(r *crel) (catalog.Version, bool) {
	if r.upgradeFrom == 0 {
		return catalog.Version{}, false
	}
	return s.vers[r.upgradeFrom-1], true
}

// archive returns r's archive reference.
func (s *Listings) archive(r *crel) catalog.ArchiveRef {
	sha := hex.EncodeToString(r.sha[:])
	a := catalog.ArchiveRef{Path: archivePath(sha), Length: r.length, SHA256: sha}
	if r.path != 0 {
		a.Path = s.strs[r.path-1]
	}
	return a
}

// scriptsOf returns r's migration scripts.
func (s *Listings) scriptsOf(r *crel) []catalog.Script {
	if r.nsc == 0 {
		return nil
	}
	out := make([]catalog.Script, r.nsc)
	for i, c := range s.scripts[r.scripts : r.scripts+r.nsc] {
		out[i] = catalog.Script{Phase: s.strs[c.phase], Path: s.strs[c.path], To: s.vers[c.to]}
		if c.from != 0 {
			v := s.vers[c.from-1]
			out[i].From = &v
		}
	}
	return out
}

// pdeps returns r's dependencies, unresolved.
func (s *Listings) pdeps(r *crel) []pdep {
	out := make([]pdep, r.ndeps)
	for i, id := range s.depRefs[r.deps : r.deps+r.ndeps] {
		c := &s.deps[id]
		out[i] = pdep{dep: catalog.Dependency{Module: s.strs[c.module], First: s.vers[c.first], Enforcement: catalog.Enforcement(c.enforcement),
			UserEditable: c.editable}, id: int32(id), to: -1}
		if c.upper != 0 {
			out[i].dep.Upper = &catalog.Bound{Version: s.vers[c.upper-1], Inclusive: c.inclusive}
		}
	}
	return out
}

// AddJSON decodes a listing document straight into the compact form and
// appends it as Add does: it accepts and refuses what catalog.ParseListing
// does, without building a catalog.Listing. On an error nothing is added.
func (s *Listings) AddJSON(data []byte) error {
	if s.indexed {
		return fmt.Errorf("scan.Listings.AddJSON: %w", errIndexed)
	}
	s.init()
	k := &jsonSink{s: s, rels: len(s.rels), depRefs: len(s.depRefs), scripts: len(s.scripts), infos: len(s.infos)}
	if err := catalog.DecodeListing(data, k); err != nil {
		return fmt.Errorf("scan.Listings.AddJSON: %w", err)
	}
	return nil
}

// jsonSink compacts each release as catalog.DecodeListing hands it over;
// it remembers where the listing's records start, to drop them.
type jsonSink struct {
	s                             *Listings
	rels, depRefs, scripts, infos int
}

func (k *jsonSink) Release(r *catalog.Release) error {
	s := k.s
	if !isDigest(r.Archive.SHA256) {
		return fmt.Errorf("version %s: archive sha256 %q is not 64 lowercase hexadecimal digits; fetch the listing again", r.Version, r.Archive.SHA256)
	}
	if max(uint64(len(s.rels)+1), uint64(len(s.depRefs)+len(r.Depends)), uint64(len(s.scripts)+len(r.Scripts))) > math.MaxUint32 {
		return errors.New("too many releases in all to index; subscribe to fewer repositories")
	}
	s.rels = append(s.rels, s.release(r))
	return nil
}

func (k *jsonSink) Listing(repository, module string, du bool) error {
	s := k.s
	c := clist{repo: s.str(repository), module: s.str(module), rels: uint32(k.rels), n: uint32(len(s.rels) - k.rels), next: -1, du: du}
	s.link(module, int32(len(s.lists)))
	if !slices.Contains(s.repos, repository) {
		s.repos = append(s.repos, repository)
	}
	s.lists = append(s.lists, c)
	return nil
}

func (k *jsonSink) Drop() {
	s := k.s
	s.rels, s.depRefs, s.scripts, s.infos = s.rels[:k.rels], s.depRefs[:k.depRefs], s.scripts[:k.scripts], s.infos[:k.infos]
}
