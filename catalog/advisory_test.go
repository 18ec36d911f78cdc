package catalog

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// issueExample is the manifest fragment the issue gives, exactly.
const issueExample = `notes = "Escapes report titles."
[[advisories]]
id = "UPK-2026-0042"
severity = "high"
title = "Stored XSS in report titles"
affects = "<0.9.1"
`

func TestIssueExampleIsAcceptedExactly(t *testing.T) {
	m, err := ParseManifest([]byte("name = \"reports\"\nversion = \"0.9.1\"\n" + issueExample))
	if err != nil {
		t.Fatal(err)
	}
	want := []Advisory{{ID: "UPK-2026-0042", Severity: SeverityHigh, Title: "Stored XSS in report titles", Affects: MustParseConstraint("<0.9.1")}}
	if m.Notes != "Escapes report titles." || !reflect.DeepEqual(m.Advisories, want) {
		t.Fatalf("notes %q, advisories %+v", m.Notes, m.Advisories)
	}
	rel := m.Release(ArchiveRef{Path: "a.zip", Length: 1, SHA256: sha}, time.Unix(0, 0).UTC())
	if rel.Notes != m.Notes || !reflect.DeepEqual(rel.Advisories, want) {
		t.Fatalf("release lost them: %+v", rel)
	}
	body, err := json.Marshal(rel)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"advisories":[{"id":"UPK-2026-0042","severity":"high","title":"Stored XSS in report titles","affects":"\u003c0.9.1"}]`) {
		t.Fatalf("listing entry: %s", body)
	}
}

func TestConstraintContains(t *testing.T) {
	for _, tc := range []struct {
		c    string
		in   []string
		out  []string
		text string
	}{
		{"<0.9.1", []string{"0.9.0", "0.1", "0.9.0.9"}, []string{"0.9.1", "0.9.1.0", "1.0"}, "<0.9.1"},
		{">=1.2.0,<1.2.4", []string{"1.2.0", "1.2.3.9"}, []string{"1.1.9", "1.2.4", "2.0"}, ">=1.2.0,<1.2.4"},
		{" > 1.0 , <= 1.3 ", []string{"1.0.1", "1.3"}, []string{"1.0", "1.3.0.1"}, ">1.0,<=1.3"},
		{"=1.3.0", []string{"1.3.0"}, []string{"1.3.1", "1.2"}, "=1.3.0"},
	} {
		c, err := ParseConstraint(tc.c)
		if err != nil {
			t.Fatalf("%q: %v", tc.c, err)
		}
		if c.String() != tc.text {
			t.Errorf("%q written as %q, want %q", tc.c, c, tc.text)
		}
		for _, v := range tc.in {
			if !c.Contains(MustParseVersion(v)) {
				t.Errorf("%q should contain %s", tc.c, v)
			}
		}
		for _, v := range tc.out {
			if c.Contains(MustParseVersion(v)) {
				t.Errorf("%q should not contain %s", tc.c, v)
			}
		}
	}
	if (Constraint{}).Contains(MustParseVersion("1.0")) {
		t.Error("the zero constraint contains a version")
	}
}

func TestConstraintErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "is empty",
		"0.9.1":                   "no comparison operator",
		"<0.9.1,":                 `"" has no comparison operator`,
		"~>1.0":                   "no comparison operator",
		"<x":                      "version",
		strings.Repeat("<1", 200): "longer than 200",
	} {
		_, err := ParseConstraint(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "constraint ") {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestAdvisoryAndNotesErrors(t *testing.T) {
	head := "name = \"arp\"\nversion = \"1.4.0\"\n"
	adv := func(body string) string { return head + "[[advisories]]\n" + body }
	ok := "id = \"X-1\"\nseverity = \"low\"\ntitle = \"t\"\naffects = \"<1.4.0\"\n"
	for name, tc := range map[string]struct{ toml, want string }{
		"both notes":     {head + "notes = \"a\"\nnotes_file = \"NOTES.md\"\n", "notes and notes_file are both given"},
		"notes control":  {head + "notes = \"a\\u0007b\"\n", "notes contain a control character"},
		"notes too long": {head + "notes = \"" + strings.Repeat("x", MaxNotes+1) + "\"\n", "notes are 65537 bytes; the limit is 65536"},
		"notes_file out": {head + "notes_file = \"../NOTES.md\"\n", `notes_file: "../NOTES.md" contains ".."`},
		"unknown key":    {adv(ok + "cvss = \"9\"\n"), `advisories[0]: unknown key "cvss"`},
		"severity":       {adv(strings.Replace(ok, "low", "urgent", 1)), `severity "urgent" is not known; use one of low, medium, high, critical`},
		"no severity":    {adv(strings.Replace(ok, "severity = \"low\"\n", "", 1)), "severity is missing"},
		"no affects":     {adv(strings.Replace(ok, "affects = \"<1.4.0\"\n", "", 1)), "affects is missing"},
		"bad affects":    {adv(strings.Replace(ok, "<1.4.0", "1.4.0", 1)), "affects: constraint \"1.4.0\""},
		"no id":          {adv(strings.Replace(ok, "id = \"X-1\"\n", "", 1)), "id: is missing"},
		"bad id":         {adv(strings.Replace(ok, "X-1", "X 1", 1)), "may hold only letters"},
		"no title":       {adv(strings.Replace(ok, "title = \"t\"\n", "", 1)), "title is missing"},
		"two lines":      {adv(strings.Replace(ok, `"t"`, `"a\nb"`, 1)), "title: spans several lines"},
		"bad url":        {adv(ok + "url = \"javascript:alert(1)\"\n"), "url: \"javascript:alert(1)\" is not a web address"},
		"twice":          {adv(ok + "[[advisories]]\n" + ok), `advisories[1]: id "X-1" is listed twice`},
		"not a table":    {head + "advisories = [\"X\"]\n", "advisories[0]: must be a table"},
	} {
		_, err := ParseManifest([]byte(tc.toml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func TestNotesFileIsReadFromTheArchive(t *testing.T) {
	manifest := "name = \"arp\"\nversion = \"1.4.0\"\nnotes_file = \"docs/NOTES.md\"\n"
	notes := "# 1.4.0\n\n- Faster payment runs.\n- <script>alert(1)</script> stays text.\n"
	data := buildZip(t, zipEntry{name: "upkeep.toml", data: manifest}, zipEntry{name: "docs/NOTES.md", data: notes})
	a, err := ReadArchive(bytes.NewReader(data), int64(len(data)), ArchiveLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Manifest.Notes != notes || a.Manifest.NotesFile != "docs/NOTES.md" {
		t.Fatalf("notes %q from %q", a.Manifest.Notes, a.Manifest.NotesFile)
	}
	out, err := a.Manifest.EncodeTOML()
	if err != nil || !strings.Contains(string(out), `notes_file = "docs/NOTES.md"`) || strings.Contains(string(out), "notes = ") {
		t.Fatalf("encoded manifest keeps the file, not its text: %v\n%s", err, out)
	}

	missing := buildZip(t, zipEntry{name: "upkeep.toml", data: manifest})
	if _, err := ReadArchive(bytes.NewReader(missing), int64(len(missing)), ArchiveLimits{}); err == nil ||
		!strings.Contains(err.Error(), `notes_file "docs/NOTES.md" is not a file in the archive`) {
		t.Fatalf("missing notes file: %v", err)
	}
	big := buildZip(t, zipEntry{name: "upkeep.toml", data: manifest}, zipEntry{name: "docs/NOTES.md", data: strings.Repeat("x", MaxNotes+1), store: true})
	if _, err := ReadArchive(bytes.NewReader(big), int64(len(big)), ArchiveLimits{}); err == nil ||
		!strings.Contains(err.Error(), "the notes are 65537 bytes; the limit is 65536") {
		t.Fatalf("oversized notes file: %v", err)
	}
}

func TestListingCarriesNotesAndAdvisories(t *testing.T) {
	doc := `{"schema":1,"repository":"r","module":"arp","versions":[{"version":"1.4.0","maturity":"test",` +
		`"archive":{"path":"a.zip","length":1,"sha256":"` + sha + `"},"published":"2026-01-01T00:00:00Z",` +
		`"notes":"Fixes **XSS**.","advisories":[{"id":"UPK-1","severity":"critical","title":"XSS","url":"https://example.com/a","affects":">=1.0,<1.4.0"}]}]}`
	l, err := ParseListing([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := l.Versions[0]
	if r.Notes != "Fixes **XSS**." || len(r.Advisories) != 1 || r.Advisories[0].Severity != SeverityCritical ||
		!r.Advisories[0].Fixes(MustParseVersion("1.3.0"), r.Version) || r.Advisories[0].Fixes(MustParseVersion("0.9"), r.Version) {
		t.Fatalf("release %+v", r)
	}
	bad := strings.Replace(doc, `"critical"`, `"urgent"`, 1)
	if _, err := ParseListing([]byte(bad)); err == nil {
		t.Fatal("a listing with an unknown severity was accepted")
	}
}

func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{"<0.9.1", ">=1.2.0,<1.2.4", " > 1.0 , <= 1.3 ", "=1.3.0", "", ",", "<", ">=2.50MP21", "<1,<2,<3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConstraint(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "constraint ") {
				t.Fatalf("error %q does not name the constraint", err)
			}
			return
		}
		back, err := ParseConstraint(c.String())
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Fatalf("%q -> %q -> %v, %v", s, c, back, err)
		}
	})
}
