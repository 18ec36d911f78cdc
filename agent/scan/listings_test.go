package scan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/catalog"
)

// richListing has a release with every field the scan reads set, one with
// an archive outside the usual place, and one with none of the optional parts.
func richListing(t *testing.T, repo string) *catalog.Listing {
	t.Helper()
	up := catalog.MustParseVersion("1.0.0")
	from := catalog.MustParseVersion("1.0.1")
	a := rel(t, "arp 1.1.0: core>=2.50.21,<3.1; cfdi>=1.0,<=1.9; reports>=0.9", patch(), maturity(catalog.MaturityBeta),
		script("post", "migrations/post.py", "1.1.0"), script("pre", "migrations/pre.sql", "1.1.0")).rel
	a.UpgradeFrom, a.Core, a.Scripts[1].From = &up, true, &from
	a.Depends[2].Enforcement, a.Depends[2].UserEditable = catalog.EnforceNone, true
	b := rel(t, "arp 1.2.0").rel
	b.Archive.Path = "pool/arp-1.2.0.zip"
	c := rel(t, "arp 2.0.0: core>=3.0").rel
	c.Summary, c.Archive.Length = "", 1<<40
	for _, r := range []*catalog.Release{&a, &b, &c} {
		r.Published = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		r.ExtendedFrom = &up
	}
	return &catalog.Listing{Schema: catalog.ListingSchema, Repository: repo, Module: "arp", DefaultUpgrade: true,
		Versions: []catalog.Release{a, b, c}}
}

// rebuild reads a compact release back through the accessors the scan uses.
func rebuild(s *Listings, r *crel) catalog.Release {
	out := catalog.Release{Version: s.version(r), Summary: s.summary(r), Core: r.flags&relCore != 0, Maturity: r.mat(), Patch: r.patch(),
		Scripts: s.scriptsOf(r), Archive: s.archive(r)}
	if v, ok := s.upgradeFrom(r); ok {
		out.UpgradeFrom = &v
	}
	for _, d := range s.pdeps(r) {
		out.Depends = append(out.Depends, d.dep)
	}
	return out
}

// TestListingsKeepWhatTheScanReads checks that every field the scan reads
// comes back from the compact form exactly as it went in.
func TestListingsKeepWhatTheScanReads(t *testing.T) {
	l := richListing(t, "main")
	var s Listings
	if err := s.Add(l); err != nil {
		t.Fatal(err)
	}
	m := s.Index().module("arp")
	if m == nil || len(m.offers) != len(l.Versions) || !m.defaultUpgrade {
		t.Fatalf("merged arp: %+v", m)
	}
	for i, o := range m.offers {
		want := l.Versions[i]
		want.Published, want.ExtendedFrom = time.Time{}, nil // not kept: the scan does not read them
		if got := rebuild(&s, o.rel); !reflect.DeepEqual(got, want) {
			t.Errorf("release %d:\n got %+v\nwant %+v", i, got, want)
		}
		if o.ver != want.Version || o.repo != "main" {
			t.Errorf("offer %d: version %s from %s", i, o.ver, o.repo)
		}
	}
}

// TestListingsIntern checks that equal strings, versions and dependencies
// are kept once, whatever listing they come from.
func TestListingsIntern(t *testing.T) {
	var s Listings
	for _, repo := range []string{"2.50", "3.0", "3.1"} {
		if err := s.Add(richListing(t, repo)); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 3 || len(s.rels) != 9 || len(s.mods) != 1 {
		t.Fatalf("%d listings, %d releases, %d modules", s.Len(), len(s.rels), len(s.mods))
	}
	if len(s.deps) != 4 || len(s.depRefs) != 12 {
		t.Errorf("%d dependencies kept for %d references; want 4 for 12", len(s.deps), len(s.depRefs))
	}
	for _, v := range []string{"arp", "core", "2.50", "arp 1.1.0", "migrations/post.py", "pool/arp-1.2.0.zip"} {
		if n := strings.Count(strings.Join(s.strs, "\n")+"\n", v+"\n"); n != 1 {
			t.Errorf("%q is kept %d times", v, n)
		}
	}
	x := s.Index()
	if got := x.Repositories(); !reflect.DeepEqual(got, []string{"2.50", "3.0", "3.1"}) {
		t.Errorf("repositories %v", got)
	}
	if m := x.module("arp"); len(m.offers) != 3 || m.offers[0].repo != "2.50" {
		t.Errorf("merged arp takes each version once, from the first repository: %+v", m.offers)
	}
}

// TestListingsAddErrors checks what Add refuses, and that a refused listing
// leaves the listings as they were.
func TestListingsAddErrors(t *testing.T) {
	badSHA := richListing(t, "main")
	badSHA.Versions[1].Archive.SHA256 = strings.ToUpper(badSHA.Versions[1].Archive.SHA256)
	cases := []struct {
		name string
		l    *catalog.Listing
		want string
	}{
		{"nil", nil, "listing 1 is missing"},
		{"no module", &catalog.Listing{Repository: "main"}, "listing 1 names no module"},
		{"no repository", &catalog.Listing{Module: "arp"}, "listing of arp names no repository"},
		{"digest", badSHA, "is not 64 lowercase hexadecimal digits; fetch the listing again"},
	}
	var s Listings
	if err := s.Add(richListing(t, "first")); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		err := s.Add(c.l)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "the repositories' listings cannot be used together: ") {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if s.Len() != 1 || len(s.rels) != 3 || len(s.repos) != 1 {
		t.Errorf("refused listings changed the listings: %d listings, %d releases, repositories %v", s.Len(), len(s.rels), s.repos)
	}
	x := s.Index()
	if err := s.Add(richListing(t, "late")); err == nil || !strings.Contains(err.Error(), "add every listing before calling Index") {
		t.Errorf("Add after Index: %v", err)
	}
	if x.Modules() != 1 || !x.has("arp") || x.has("core") {
		t.Errorf("index: %d modules", x.Modules())
	}
}

// TestNewIndexCopies checks that NewIndex copies the listings: changing
// them afterwards changes nothing the index says.
func TestNewIndexCopies(t *testing.T) {
	l := richListing(t, "main")
	x, err := NewIndex([]*catalog.Listing{l})
	if err != nil {
		t.Fatal(err)
	}
	l.Versions[0].Summary, l.Versions[0].Depends[0].Module, l.Repository = "changed", "changed", "changed"
	m := x.module("arp")
	if s := x.set.summary(m.offers[0].rel); s != "arp 1.1.0" || m.offers[0].repo != "main" || x.set.pdeps(m.offers[0].rel)[0].dep.Module != "core" {
		t.Errorf("the index follows changes to its listings: %q from %s", s, m.offers[0].repo)
	}
}

// TestAddJSONIsAdd checks that decoding a listing document straight into
// the compact form gives what ParseListing and Add give, and that a refused
// document adds nothing.
func TestAddJSONIsAdd(t *testing.T) {
	var viaAdd, viaJSON Listings
	for _, repo := range []string{"main", "extra"} {
		data, err := json.Marshal(richListing(t, repo))
		if err != nil {
			t.Fatal(err)
		}
		l, err := catalog.ParseListing(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := viaAdd.Add(l); err != nil {
			t.Fatal(err)
		}
		if err := viaJSON.AddJSON(data); err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(data), `"2.0.0"`, `"1.0.0"`, 1) // not ascending
		_, want := catalog.ParseListing([]byte(bad))
		if err := viaJSON.AddJSON([]byte(bad)); err == nil || !strings.Contains(err.Error(), want.Error()) {
			t.Fatalf("a listing out of order: %v, want %v", err, want)
		}
	}
	if a, b := readBack(&viaAdd), readBack(&viaJSON); !reflect.DeepEqual(a, b) || len(a) != 2 {
		t.Fatalf("the compact forms differ:\n%+v\n%+v", a, b)
	}
	viaJSON.Index()
	if err := viaJSON.AddJSON([]byte(`{}`)); err == nil || !strings.Contains(err.Error(), "add every listing before calling Index") {
		t.Fatalf("AddJSON after Index: %v", err)
	}
}

// readBack reads every listing back through the accessors the scan uses
// (the numbering of interned strings may differ).
func readBack(s *Listings) []catalog.Listing {
	var out []catalog.Listing
	for _, c := range s.lists {
		l := catalog.Listing{Repository: s.strs[c.repo], Module: s.strs[c.module], DefaultUpgrade: c.du}
		for i := range s.rels[c.rels : c.rels+c.n] {
			r := &s.rels[c.rels+uint32(i)]
			rel := rebuild(s, r)
			rel.Notes = s.notes(r)
			l.Versions = append(l.Versions, rel)
		}
		out = append(out, l)
	}
	return out
}

// BenchmarkAddJSON times decoding the benchmark's listings from JSON
// straight into the compact form; BenchmarkParseAndAdd the way before it.
func BenchmarkAddJSON(b *testing.B) {
	docs := benchDocs(b)
	for b.Loop() {
		var s Listings
		for _, d := range docs {
			if err := s.AddJSON(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkParseAndAdd(b *testing.B) {
	docs := benchDocs(b)
	for b.Loop() {
		var s Listings
		for _, d := range docs {
			l, err := catalog.ParseListing(d)
			if err == nil {
				err = s.Add(l)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkUnmarshalListings times a plain json.Unmarshal of the same documents.
func BenchmarkUnmarshalListings(b *testing.B) {
	docs := benchDocs(b)
	for b.Loop() {
		for _, d := range docs {
			var l catalog.Listing
			if err := json.Unmarshal(d, &l); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchDocs is the first 2,000 listings of the benchmark catalog as JSON.
func benchDocs(b *testing.B) [][]byte {
	in := benchOnce()
	var docs [][]byte
	size := 0
	for _, l := range in.listings[:2000] {
		d, err := json.Marshal(l)
		if err != nil {
			b.Fatal(err)
		}
		docs, size = append(docs, d), size+len(d)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	return docs
}
