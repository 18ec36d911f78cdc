package catalog

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"2.50.21", "2.50MP21", "3.0mp3", "6.0.29", "16.0.1.2.3", "2.050", "1", "", "2.x.1",
		"1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.8.9", "999999999.0", "1000000000.0", "1..2", "1.2MP", "MP", "0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "version ") {
				t.Fatalf("error %q does not name the version", err)
			}
			return
		}
		if v.Len() < 2 || v.Len() > MaxComponents {
			t.Fatalf("%q parsed with %d components", s, v.Len())
		}
		back, err := ParseVersion(v.String())
		if err != nil || back != v || back.String() != v.String() {
			t.Fatalf("%q -> %q -> %v, %v", s, v, back, err)
		}
		if v.Compare(back) != 0 || v.SortKey() != back.SortKey() {
			t.Fatalf("%q does not compare equal to itself", s)
		}
		var u Version
		text, _ := v.MarshalText()
		if err := u.UnmarshalText(text); err != nil || u != v {
			t.Fatalf("text round trip of %q: %v, %v", s, u, err)
		}
	})
}

func FuzzCompare(f *testing.F) {
	f.Add("6.0.1", "6.0.1.0")
	f.Add("2.50.21", "3.0.0")
	f.Add("16.0.1.2.3", "16.0.1.2")
	f.Fuzz(func(t *testing.T, a, b string) {
		v, err1 := ParseVersion(a)
		w, err2 := ParseVersion(b)
		if err1 != nil || err2 != nil {
			return
		}
		c := v.Compare(w)
		if w.Compare(v) != -c || strings.Compare(v.SortKey(), w.SortKey()) != c {
			t.Fatalf("Compare(%s, %s) = %d disagrees with its reverse or SortKey", v, w, c)
		}
		if k := Classify(v, w); (k == KindNone) != (c >= 0) {
			t.Fatalf("Classify(%s, %s) = %v but Compare = %d", v, w, k, c)
		}
	})
}

func FuzzParseDependency(f *testing.F) {
	for _, s := range []string{"core>=2.50.21", "core>=2.50.21,<3.1", "core>=2.50.21,<=2.50.30", "core>=2.50.21 minor",
		"core>=2.50.21,<2.50.30 major", "core>=2.50.21 minor editable", "core=2.50.*", " core >= 2.50MP21 , < 3.1 none ",
		"org.openbravo.advpaymentmngt>=3.0", "core>=2.0,<2.0", "core=2.50.1", "core>=1.0 editable minor", "x>=1.0,<=1.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDependency(s)
		if err != nil {
			return
		}
		back, err := ParseDependency(d.String())
		if err != nil || !reflect.DeepEqual(back, d) || back.String() != d.String() {
			t.Fatalf("%q -> %q -> %#v, %v", s, d.String(), back, err)
		}
		if !d.Allows(d.First) || !d.Covers(d) {
			t.Fatalf("%q does not allow its first version or cover itself", s)
		}
		data, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var j Dependency
		if err := json.Unmarshal(data, &j); err != nil || !reflect.DeepEqual(j, d) {
			t.Fatalf("JSON round trip of %q: %s -> %#v, %v", s, data, j, err)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(fullManifest))
	f.Add([]byte(testManifest))
	f.Add([]byte("name = \"core\"\nversion = \"2.50MP21\"\ncore = true\n"))
	f.Add([]byte("name = \"arp\"\nversion = \"1.0\"\n[[depends]]\nmodule = \"core\"\nfirst = \"2.50.0\"\nlast = \"2.50.30\"\n"))
	f.Add([]byte("name = \"arp\"\nversion = \"1.0\"\nsummary = \"a \\\"b\\\" \\\\ c\"\ndepends = [\"core>=1.0 minor editable\"]\n"))
	f.Add([]byte("name = \"arp\"\nversion = \"1.0\"\ndepends = []\nscripts = []\n"))
	f.Add([]byte("name = \n"))
	f.Add([]byte("name = \"reports\"\nversion = \"0.9.1\"\n" + issueExample))
	f.Add([]byte("name = \"arp\"\nversion = \"1.4.0\"\nnotes_file = \"NOTES.md\"\n[[advisories]]\nid = \"CVE-2026-1\"\nseverity = \"critical\"\n" +
		"title = \"t\"\nurl = \"https://example.com\"\naffects = \">=1.0,<1.4.0\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), ManifestName+": ") {
				t.Fatalf("error %q does not name the manifest", err)
			}
			return
		}
		out, err := m.EncodeTOML()
		if err != nil {
			t.Fatalf("EncodeTOML of a parsed manifest: %v", err)
		}
		back, err := ParseManifest(out)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip: %v\n%#v\n%#v\n%s", err, m, back, out)
		}
	})
}

func fuzzArchiveLimits() ArchiveLimits {
	return ArchiveLimits{MaxArchiveSize: 1 << 20, MaxEntries: 50, MaxEntrySize: 64 << 10, MaxTotalSize: 256 << 10, MaxRatio: 50}
}

func FuzzReadArchive(f *testing.F) {
	manifest := zipEntry{name: "upkeep.toml", data: "name = \"arp\"\nversion = \"1.0\"\n"}
	f.Add(buildZip(f, validEntries()...))
	f.Add(buildZip(f, manifest))
	f.Add(buildZip(f, manifest, zipEntry{name: "../evil", data: "x"}))
	f.Add(buildZip(f, manifest, zipEntry{name: "/abs", data: "x"}))
	f.Add(buildZip(f, manifest, zipEntry{name: "link", data: "/etc", mode: fs.ModeSymlink | 0o777}))
	f.Add(buildZip(f, manifest, zipEntry{name: "a", data: "1"}, zipEntry{name: "A", data: "2"}))
	f.Add(buildZip(f, manifest, zipEntry{name: "zeros", data: strings.Repeat("\x00", 100<<10)}))
	f.Add(rawZip(f, "data", []byte(strings.Repeat("x", 2000)), zip.Store, 1000, manifest))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadArchive(bytes.NewReader(data), int64(len(data)), fuzzArchiveLimits())
		if err != nil {
			return
		}
		if a.Manifest == nil || a.Manifest.Validate() != nil {
			t.Fatalf("accepted an archive without a valid manifest: %#v", a.Manifest)
		}
		var total int64
		for i, file := range a.Files {
			if checkRelPath(file.Name) != nil || (i > 0 && a.Files[i-1].Name >= file.Name) || file.Size > 64<<10 {
				t.Fatalf("accepted bad file %+v", file)
			}
			total += file.Size
		}
		if total > 256<<10 {
			t.Fatalf("accepted %d bytes in total", total)
		}
	})
}

func FuzzParseListing(f *testing.F) {
	f.Add([]byte(testListing))
	f.Add([]byte(`{"schema":1,"repository":"r","module":"m","versions":[]}`))
	f.Add([]byte(`{"schema":2}`))
	f.Add([]byte(`{"schema":1,"repository":"r","module":"m","versions":[{"version":"1.0","maturity":"test","notes":"# x","advisories":[` +
		`{"id":"A-1","severity":"low","title":"t","affects":"<1.0"}],"archive":{"path":"a.zip","length":1,"sha256":"` + sha + `"},"published":"2025-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"schema":1,"repository":"r","module":"m","versions":[{"version":"1.0","maturity":"test","depends":[],` +
		`"archive":{"path":"a.zip","length":1,"sha256":"` + sha + `"},"published":"2025-01-01T00:00:00.5-07:00"}]}`))
	f.Add([]byte(`{"schema":1,"repository":"r","module":"m","versions":[{"version":"1.0","maturity":"test","update_all":true,` +
		`"archive":{"path":"a.zip","length":1,"sha256":"` + sha + `"},"published":"2025-01-01T00:00:00Z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseListing(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(l)
		if err != nil {
			t.Fatalf("marshaling a parsed listing: %v", err)
		}
		back, err := ParseListing(out)
		if err != nil || !reflect.DeepEqual(back, l) {
			t.Fatalf("round trip: %v\n%+v\n%+v\n%s", err, l, back, out)
		}
	})
}
