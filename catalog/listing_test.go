package catalog

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

const testListing = `{
  "schema": 1,
  "repository": "2.50",
  "module": "arp",
  "default_upgrade": true,
  "future_field": {"ignored": true},
  "versions": [
    {"version": "1.3.0", "maturity": "beta", "published": "2025-01-02T03:04:05Z",
     "archive": {"path": "archives/a.zip", "length": 10, "sha256": "` + sha + `"}},
    {"version": "1.4.0", "summary": "AR/AP", "maturity": "confirmed-stable", "patch": true, "update_all": true,
     "upgrade_from": "1.2.0", "extended_from": "1.3.9",
     "depends": [{"module": "core", "first": "2.50.0", "below": "3.1"}],
     "scripts": [{"phase": "pre", "path": "m/pre.sql", "from": "1.3.0", "to": "1.4.0"}],
     "published": "2025-02-02T03:04:05+01:00",
     "archive": {"path": "archives/b.zip", "length": 20, "sha256": "` + sha + `"}}
  ]
}`

func TestParseListing(t *testing.T) {
	l, err := ParseListing([]byte(testListing))
	if err != nil {
		t.Fatal(err)
	}
	if l.Module != "arp" || l.Repository != "2.50" || !l.DefaultUpgrade || len(l.Versions) != 2 {
		t.Fatalf("listing = %+v", l)
	}
	r := l.Versions[1]
	from := v("1.3.0")
	wantDeps := []Dependency{{Module: "core", First: v("2.50.0"), Upper: below("3.1"), Enforcement: EnforceNone}}
	wantScripts := []Script{{Phase: "pre", Path: "m/pre.sql", From: &from, To: v("1.4.0")}}
	if r.Maturity != MaturityConfirmedStable || !r.Patch || !r.UpdateAll || l.Versions[0].UpdateAll || r.UpgradeFrom.String() != "1.2.0" || r.ExtendedFrom.String() != "1.3.9" ||
		!reflect.DeepEqual(r.Depends, wantDeps) || !reflect.DeepEqual(r.Scripts, wantScripts) || r.Archive.Length != 20 {
		t.Errorf("release = %+v", r)
	}
	if !r.Published.Equal(time.Date(2025, 2, 2, 2, 4, 5, 0, time.UTC)) {
		t.Errorf("published = %v", r.Published)
	}
	if got := l.Latest(); got != &l.Versions[1] {
		t.Errorf("Latest() = %+v", got)
	}
	assertListingRoundTrip(t, l)
}

func assertListingRoundTrip(t *testing.T, l *Listing) {
	t.Helper()
	out, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseListing(out)
	if err != nil {
		t.Fatalf("parsing the marshaled listing: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip changed the listing:\n%+v\n%+v", l, back)
	}
}

func TestListingJSONShape(t *testing.T) {
	l := &Listing{Schema: 1, Repository: "r", Module: "m", Versions: []Release{{Version: v("1.0"), Maturity: MaturityBeta,
		Archive: ArchiveRef{Path: "a.zip", Length: 1, SHA256: sha}, Published: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	out, _ := json.Marshal(l)
	want := `{"schema":1,"repository":"r","module":"m","default_upgrade":false,"versions":[{"version":"1.0","maturity":"beta",` +
		`"archive":{"path":"a.zip","length":1,"sha256":"` + sha + `"},"published":"2025-01-01T00:00:00Z"}]}`
	if string(out) != want {
		t.Errorf("JSON = %s\nwant %s", out, want)
	}
	assertListingRoundTrip(t, l)
}

func TestParseListingEmptyLists(t *testing.T) {
	l, err := ParseListing([]byte(`{"schema":1,"repository":"r","module":"m","versions":[{"version":"1.0","maturity":"test",` +
		`"depends":[],"scripts":[],"archive":{"path":"a.zip","length":1,"sha256":"` + sha + `"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if l.Versions[0].Depends != nil || l.Versions[0].Scripts != nil {
		t.Errorf("empty lists not normalised: %+v", l.Versions[0])
	}
	assertListingRoundTrip(t, l)
}

func TestParseListingErrors(t *testing.T) {
	rel := func(fields string) string {
		return `{"schema":1,"repository":"r","module":"arp","versions":[{"version":"1.0","maturity":"test",` +
			`"archive":{"path":"a.zip","length":1,"sha256":"` + sha + `"}` + fields + `}]}`
	}
	tests := []struct{ in, want string }{
		{`{"schema":2,"module":"x"}`, "listing schema 2 is newer than this program understands; update upkeep"},
		{`{"schema":2,"versions":"a new shape"}`, "listing schema 2 is newer"},
		{`{"module":"x"}`, "listing schema 0 is not supported"},
		{`not json`, "listing is not valid JSON"},
		{`{"schema":1,"versions":[{"version":"x"}]}`, `listing cannot be read`},
		{`{"schema":1,"versions":[{"maturity":"stable"}]}`, `maturity "stable" is not known`},
		{`{"schema":1,"repository":"r","module":"Arp"}`, `module: module name "Arp": must be lowercase`},
		{`{"schema":1,"repository":"","module":"arp"}`, "repository is empty"},
		{rel(`,"version":""`), "versions[0] (): version is missing"},
		{rel(`,"archive":{"path":"a.zip","length":1,"sha256":"ABC"}`), `archive: sha256 "ABC" must be 64 lowercase hexadecimal digits`},
		{rel(`,"archive":{"path":"a.zip","length":1,"sha256":"` + strings.ToUpper(sha) + `"}`), "64 lowercase hexadecimal"},
		{rel(`,"archive":{"path":"a.zip","length":0,"sha256":"` + sha + `"}`), "archive: length 0 is not positive"},
		{rel(`,"archive":{"path":"../a.zip","length":1,"sha256":"` + sha + `"}`), `archive: path "../a.zip" contains ".."`},
		{rel(`,"archive":{"path":"/a.zip","length":1,"sha256":"` + sha + `"}`), "is absolute"},
		{rel(`,"archive":{"path":"","length":1,"sha256":"` + sha + `"}`), "archive: path is empty"},
		{rel(`,"upgrade_from":"1.0"`), "upgrade_from 1.0 is not below the version"},
		{rel(`,"extended_from":"2.0"`), "extended_from 2.0 is not below the version"},
		{rel(`,"depends":[{"module":"core","first":"2.0","below":"1.0"}]`), "depends[0] (core): upper bound <1.0 is not above"},
		{rel(`,"depends":[{"module":"arp","first":"2.0"}]`), `module "arp" depends on itself`},
		{rel(`,"depends":[{"module":"core","first":"2.0"},{"module":"core","first":"2.1"}]`), "listed twice"},
		{rel(`,"scripts":[{"phase":"pre","path":"a.sql","to":"2.0"}]`), "scripts[0]: to 2.0 is above the release's version 1.0"},
		{rel(`,"scripts":[{"phase":"mid","path":"a.sql","to":"1.0"}]`), `scripts[0]: phase "mid"`},
	}
	for _, tt := range tests {
		_, err := ParseListing([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseListing(%s)\n error = %v\n want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestListingOrder(t *testing.T) {
	mk := func(vs ...string) *Listing {
		l := &Listing{Schema: 1, Repository: "r", Module: "m"}
		for _, s := range vs {
			l.Versions = append(l.Versions, Release{Version: v(s), Archive: ArchiveRef{Path: "a.zip", Length: 1, SHA256: sha}})
		}
		return l
	}
	tests := []struct {
		vs   []string
		want string
	}{
		{[]string{"1.0", "1.0.1", "2.0"}, ""},
		{nil, ""},
		{[]string{"1.0", "1.0.0"}, "versions[1]: 1.0.0 does not come after 1.0"},
		{[]string{"2.0", "1.0"}, "versions[1]: 1.0 does not come after 2.0"},
	}
	for _, tt := range tests {
		err := mk(tt.vs...).Validate()
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%v) = %v, want %q", tt.vs, err, tt.want)
		}
	}
	if mk().Latest() != nil {
		t.Error("Latest() of an empty listing is not nil")
	}
	unsorted := mk("1.0", "3.0", "2.0") // Latest does not rely on the order
	if got := unsorted.Latest(); got.Version.String() != "3.0" {
		t.Errorf("Latest() = %v", got.Version)
	}
	bad := mk("1.0")
	bad.Versions[0].Maturity = 7
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "maturity 7 is not defined") {
		t.Errorf("Validate with maturity 7 = %v", err)
	}
}
