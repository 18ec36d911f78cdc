package catalog

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// collect is a sink that rebuilds the listing DecodeListing hands over.
type collect struct {
	pending []Release
	out     *Listing
	drops   int
}

func (c *collect) Release(r *Release) error { c.pending = append(c.pending, *r); return nil }
func (c *collect) Drop()                    { c.pending = nil; c.drops++ }
func (c *collect) Listing(repo, module string, du bool) error {
	c.out = &Listing{Schema: ListingSchema, Repository: repo, Module: module, DefaultUpgrade: du, Versions: c.pending}
	c.pending = nil
	return nil
}

// decodeBoth runs ParseListing and DecodeListing on data and reports how they differ, or "".
func decodeBoth(data []byte) string {
	want, werr := ParseListing(data)
	c := &collect{}
	err := DecodeListing(data, c)
	switch {
	case (err == nil) != (werr == nil):
		return fmt.Sprintf("DecodeListing error %v, ParseListing error %v", err, werr)
	case err != nil && err.Error() != werr.Error():
		return fmt.Sprintf("errors differ: %q and %q", err, werr)
	case err != nil && len(c.pending) > 0:
		return "the sink kept releases of a refused listing"
	}
	if err == nil && len(want.Versions) == 0 {
		want.Versions = nil // the sink cannot tell [] from null, nor needs to
	}
	switch {
	case err == nil && !reflect.DeepEqual(c.out, want):
		return fmt.Sprintf("listings differ:\n%+v\n%+v", c.out, want)
	}
	return ""
}

func sampleListing(n int) *Listing {
	l := &Listing{Schema: ListingSchema, Repository: "main", Module: "arp", DefaultUpgrade: true}
	up := MustParseVersion("1.0.0")
	for i := 0; i < n; i++ {
		v := MustParseVersion(fmt.Sprintf("1.%d.%d", i/3, i%3))
		r := Release{Version: v, Summary: "Accounts receivable", Maturity: MaturityConfirmedStable, Patch: i%3 != 0, UpdateAll: i == 2,
			Depends:   []Dependency{{Module: "core", First: MustParseVersion("2.50.0")}, {Module: "cfdi", First: MustParseVersion("1.0")}},
			Archive:   ArchiveRef{Path: fmt.Sprintf("archives/%064x.zip", i), Length: 4096, SHA256: fmt.Sprintf("%064x", i)},
			Published: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		if i%4 == 1 {
			r.UpgradeFrom = &up
			r.Scripts = []Script{{Phase: "post", Path: "migrations/post.py", To: v}}
			r.Notes = "Fixes the *rounding* of totals."
		}
		l.Versions = append(l.Versions, r)
	}
	return l
}

// decodeSeeds are documents of the usual layout, other layouts, and broken ones.
func decodeSeeds(t testing.TB) [][]byte {
	good, err := json.Marshal(sampleListing(7))
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	return [][]byte{good,
		[]byte(strings.Replace(s, `"schema":1,`, ``, 1) + ``),
		[]byte(`{"versions":[],"schema":1,"repository":"main","module":"arp"}`),
		[]byte(`{"schema":1,"repository":"main","module":"arp","versions":[],"module":"other"}`),
		[]byte(`{"schema":1,"repository":"main","module":"arp","MODULE":"other","versions":[]}`),
		[]byte(`{"schema":1,"repository":"main","module":"arp","versions":[],"default_upgrade":true}`),
		[]byte(s + ` x`), []byte(s + ` {}`), []byte(s[:len(s)/2]),
		[]byte(strings.Replace(s, `"1.0.1"`, `"1.0.0"`, 1)),
		[]byte(strings.Replace(s, `"maturity":"confirmed_stable"`, `"maturity":9`, 1)),
		[]byte(`{"schema":2,"repository":"main","module":"arp","versions":[]}`),
		[]byte(`{"schema":1,"repository":"","module":"arp","versions":[]}`),
		[]byte(`{"schema":1,"repository":"main","module":"Bad Name","versions":[]}`),
		[]byte(`{"schema":1,"repository":"main","module":"arp","versions":null}`),
		[]byte(`[]`), []byte(``), []byte(`null`),
	}
}

// TestDecodeListingIsParseListing checks that DecodeListing accepts and
// refuses what ParseListing does, with the same messages and the same
// releases, on the usual layout and on the others.
func TestDecodeListingIsParseListing(t *testing.T) {
	for i, data := range decodeSeeds(t) {
		if msg := decodeBoth(data); msg != "" {
			t.Errorf("seed %d (%.80s): %s", i, data, msg)
		}
	}
	c := &collect{}
	good, _ := json.Marshal(sampleListing(3))
	if err := DecodeListing(good, c); err != nil || c.drops != 0 || len(c.out.Versions) != 3 {
		t.Fatalf("the usual layout did not stream: %v, %d drops", err, c.drops)
	}
}

// FuzzDecodeListing checks DecodeListing against ParseListing on any input.
func FuzzDecodeListing(f *testing.F) {
	for _, s := range decodeSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if msg := decodeBoth(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

// discard is a sink that keeps nothing, to time decoding alone.
type discard struct{}

func (discard) Release(*Release) error             { return nil }
func (discard) Listing(string, string, bool) error { return nil }
func (discard) Drop()                              {}

func benchListing(b *testing.B) []byte {
	data, err := json.Marshal(sampleListing(40))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	return data
}

// BenchmarkDecodeListing times DecodeListing (validation included) on a listing of 40 versions.
func BenchmarkDecodeListing(b *testing.B) {
	data := benchListing(b)
	for b.Loop() {
		if err := DecodeListing(data, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseListing times ParseListing on the same listing.
func BenchmarkParseListing(b *testing.B) {
	data := benchListing(b)
	for b.Loop() {
		if _, err := ParseListing(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalListing times a plain json.Unmarshal of the same listing (no validation).
func BenchmarkUnmarshalListing(b *testing.B) {
	data := benchListing(b)
	for b.Loop() {
		var l Listing
		if err := json.Unmarshal(data, &l); err != nil {
			b.Fatal(err)
		}
	}
}
