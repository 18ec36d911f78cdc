package catalog

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const fullManifest = `
name = "arp"
version = "1.4.0"
summary = "Advanced Receivables and Payables"
core = false
maturity = "confirmed-stable"
default_upgrade = false
patch = true
update_all = true
upgrade_from = "1.2.0"
depends = ["core>=2.50.0", { module = "party", first = "2.50.0", below = "3.1", user_editable = true }]

[[scripts]]
phase = "pre"
path = "migrations/1.4.0/pre.sql"
to = "1.4.0"
from = "1.3.0"

[[scripts]]
phase = "post"
path = "migrations/1.4.0/post.py"
to = "1.4.0"
`

func TestParseManifestFull(t *testing.T) {
	m, err := ParseManifest([]byte(fullManifest))
	if err != nil {
		t.Fatal(err)
	}
	from := v("1.3.0")
	upFrom := v("1.2.0")
	want := &Manifest{
		Name:           "arp",
		Version:        v("1.4.0"),
		Summary:        "Advanced Receivables and Payables",
		Maturity:       MaturityConfirmedStable,
		DefaultUpgrade: false,
		Patch:          true,
		UpdateAll:      true,
		UpgradeFrom:    &upFrom,
		Depends: []Dependency{
			{Module: "core", First: v("2.50.0")},
			{Module: "party", First: v("2.50.0"), Upper: below("3.1"), Enforcement: EnforceNone, UserEditable: true},
		},
		Scripts: []Script{
			{Phase: "pre", Path: "migrations/1.4.0/pre.sql", From: &from, To: v("1.4.0")},
			{Phase: "post", Path: "migrations/1.4.0/post.py", To: v("1.4.0")},
		},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got  %#v\nwant %#v", m, want)
	}
	assertTOMLRoundTrip(t, m)
}

func TestParseManifestDefaults(t *testing.T) {
	m, err := ParseManifest([]byte(`name = "core"
version = "2.50MP21"
core = true
depends = []
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{Name: "core", Version: v("2.50.21"), Core: true, DefaultUpgrade: true, Maturity: MaturityTest, Depends: []Dependency{}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %#v, want %#v", m, want)
	}
	assertTOMLRoundTrip(t, m)
	m.Depends, m.Scripts = nil, []Script{}
	assertTOMLRoundTrip(t, m)
	m.Scripts = nil
	assertTOMLRoundTrip(t, m)
}

func TestParseManifestDependsForms(t *testing.T) {
	m, err := ParseManifest([]byte(`name = "arp"
version = "1.0"

[[depends]]
module = "core"
first = "2.50.0"
last = "2.50.30"

[[depends]]
module = "party"
first = "2.50.0"
below = "3.1"
enforcement = "major"

[[depends]]
module = "sale"
first = "2.50.0"
enforcement = "minor"
user_editable = false
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Dependency{
		{Module: "core", First: v("2.50.0"), Upper: last("2.50.30"), Enforcement: EnforceNone},
		{Module: "party", First: v("2.50.0"), Upper: below("3.1"), Enforcement: EnforceMajor},
		{Module: "sale", First: v("2.50.0"), Enforcement: EnforceMinor},
	}
	if !reflect.DeepEqual(m.Depends, want) {
		t.Fatalf("got %#v, want %#v", m.Depends, want)
	}
	assertTOMLRoundTrip(t, m)
}

func assertTOMLRoundTrip(t *testing.T, m *Manifest) {
	t.Helper()
	data, err := m.EncodeTOML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseManifest(data)
	if err != nil {
		t.Fatalf("parsing the encoded manifest: %v\n%s", err, data)
	}
	if !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip changed the manifest:\n%#v\n%#v\n%s", m, back, data)
	}
	again, _ := back.EncodeTOML()
	if string(again) != string(data) {
		t.Fatalf("encoding is not deterministic:\n%s\n%s", data, again)
	}
}

func TestParseManifestErrors(t *testing.T) {
	base := "name = \"arp\"\nversion = \"1.4.0\"\n"
	tests := []struct{ in, want string }{
		{"name = \n", "upkeep.toml: fix the TOML syntax: toml: line 1"},
		{"name = \"a\"\nname = \"b\"\n", "line 2"},
		{base + "bogus = 1\nother = 2\n", `unknown key "bogus", "other"`},
		{base + "Name = \"x\"\n", `unknown key "Name"`},
		{base + "[extra]\nq = 1\n", `unknown key "extra"`},
		{"version = \"1.0\"\n", "upkeep.toml: name: module name is empty"},
		{"name = \"Arp\"\nversion = \"1.0\"\n", "upkeep.toml: name: module name \"Arp\": must be lowercase"},
		{"name = 5\nversion = \"1.0\"\n", "upkeep.toml: name: must be a string"},
		{"name = \"arp\"\n", "upkeep.toml: version is missing"},
		{"name = \"arp\"\nversion = \"x\"\n", `upkeep.toml: version: version "x": component "x" is not a number`},
		{"name = \"arp\"\nversion = 1.4\n", "upkeep.toml: version: must be a string in quotes"},
		{base + "summary = \"" + strings.Repeat("é", 501) + "\"\n", "summary is 501 characters long"},
		{base + "summary = \"a\\nb\"\n", "summary spans several lines"},
		{base + "summary = \"a\\u0007b\"\n", "summary contains a control character"},
		{base + "core = \"yes\"\n", "upkeep.toml: core: must be true or false"},
		{base + "default_upgrade = 1\n", "default_upgrade: must be true or false"},
		{base + "patch = 1979-05-27\n", "patch: must be true or false (without quotes), not a date or time"},
		{base + "maturity = \"stable\"\n", `upkeep.toml: maturity: maturity "stable" is not known; use one of test, alpha`},
		{base + "upgrade_from = \"1.4.0\"\n", "upgrade_from 1.4.0 is not below version 1.4.0"},
		{base + "upgrade_from = \"1\"\n", "upgrade_from: version \"1\""},
		{base + "depends = \"core>=1.0\"\n", "depends: must be an array"},
		{base + "depends = [\"core>=x\"]\n", `upkeep.toml: depends[0]: dependency "core>=x": version "x"`},
		{base + "depends = [\"core>=1.0\", 5]\n", "depends[1]: must be a string such as"},
		{base + "depends = [\"core>=1.0\", \"core>=1.1\"]\n", `depends[1]: module "core" is listed twice`},
		{base + "depends = [\"arp>=1.0\"]\n", `depends[0]: module "arp" depends on itself`},
		{base + "depends = [{module = \"core\"}]\n", "depends[0]: first is missing"},
		{base + "depends = [{module = \"core\", first = \"x\"}]\n", `depends[0]: first: version "x"`},
		{base + "depends = [{module = \"core\", first = \"1.0\", firts = \"1\"}]\n", `depends[0]: unknown key "firts"`},
		{base + "depends = [{module = \"core\", first = \"1.0\", last = \"2.0\", below = \"2.0\"}]\n", `depends[0]: has both "last" and "below"`},
		{base + "depends = [{module = \"core\", first = \"1.0\", enforcement = \"hard\"}]\n", `depends[0]: enforcement: enforcement "hard"`},
		{base + "depends = [{module = \"core\", first = \"2.0\", below = \"1.0\"}]\n", "depends[0] (core): upper bound <1.0 is not above first version 2.0"},
		{base + "depends = [{module = \"Core\", first = \"2.0\"}]\n", "depends[0] (Core): module name \"Core\""},
		{base + "depends = [{module = \"core\", first = \"2.0\", user_editable = \"yes\"}]\n", "depends[0]: user_editable: must be true or false"},
		{base + "scripts = 1\n", "scripts: must be an array"},
		{base + "scripts = [1]\n", "scripts[0]: must be a table"},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"a.sql\"\nto = \"1.0\"\nwhen = 1\n", `scripts[0]: unknown key "when"`},
		{base + "[[scripts]]\nphase = \"during\"\npath = \"a.sql\"\nto = \"1.0\"\n", `scripts[0]: phase "during" is not known`},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"a.txt\"\nto = \"1.0\"\n", "scripts[0]: path \"a.txt\": must end in .sql, .py or .sh"},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"../a.sql\"\nto = \"1.0\"\n", `scripts[0]: path: "../a.sql" contains ".."`},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"/a.sql\"\nto = \"1.0\"\n", "is absolute"},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"a\\\\b.sql\"\nto = \"1.0\"\n", `contains "\"`},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"./a.sql\"\nto = \"1.0\"\n", "not in clean form"},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"C:/a.sql\"\nto = \"1.0\"\n", "drive letter"},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"a.sql\"\n", "scripts[0]: to is missing"},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"a.sql\"\nto = \"1.5\"\n", "to 1.5 is above the release's version 1.4.0"},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"a.sql\"\nto = \"1.4\"\nfrom = \"1.4\"\n", "from 1.4 is not below to 1.4"},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"a.sql\"\nto = \"1.4\"\nfrom = \"x\"\n", `scripts[0]: from: version "x"`},
		{base + "[[scripts]]\nphase = \"pre\"\npath = \"a.sql\"\nto = \"1.4\"\n[[scripts]]\nphase = \"post\"\npath = \"a.sql\"\nto = \"1.3\"\n",
			`scripts[1]: path "a.sql" is listed twice`},
	}
	for _, tt := range tests {
		_, err := ParseManifest([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseManifest(%q)\n error = %v\n want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func validManifest() *Manifest {
	return &Manifest{Name: "arp", Version: v("1.4.0"), DefaultUpgrade: true,
		Depends: []Dependency{{Module: "core", First: v("2.50.0")}}}
}

func TestManifestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *Manifest)
		want   string
	}{
		{"valid", func(m *Manifest) {}, ""},
		{"maturity", func(m *Manifest) { m.Maturity = 9 }, "maturity 9 is not defined"},
		{"version", func(m *Manifest) { m.Version = Version{} }, "version is missing"},
		{"dependency enforcement", func(m *Manifest) { m.Depends[0].Enforcement = 4 }, "depends[0] (core): enforcement 4"},
		{"summary utf8", func(m *Manifest) { m.Summary = "\xff" }, "not valid UTF-8"},
		{"script", func(m *Manifest) { m.Scripts = []Script{{Phase: "pre", Path: "a.sh"}} }, "scripts[0]: to is missing"},
	}
	for _, tt := range tests {
		m := validManifest()
		tt.change(m)
		err := m.Validate()
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "upkeep.toml: ") {
			t.Errorf("%s: error %q does not name the manifest", tt.name, err)
		}
		if _, encErr := m.EncodeTOML(); (encErr == nil) != (err == nil) {
			t.Errorf("%s: EncodeTOML error %v, Validate error %v", tt.name, encErr, err)
		}
	}
}

func TestEncodeTOMLQuoting(t *testing.T) {
	m := validManifest()
	m.Summary = `Quotes "here" and \backslash\ and ünïcode ☃`
	m.Scripts = []Script{{Phase: "post", Path: `sql/it's "odd".sql`, To: v("1.4")}}
	m.Depends = append(m.Depends, Dependency{Module: "party", First: v("2.50"), Upper: last("2.50.30"), Enforcement: EnforceMinor, UserEditable: true})
	assertTOMLRoundTrip(t, m)
	if got := tomlQuote("a\x01\x7f\tb"); got != `"a\u0001\u007F\u0009b"` {
		t.Errorf("tomlQuote = %s", got)
	}
}

func TestDependencyTableForm(t *testing.T) {
	// The table form is the fallback when the compact string does not read back exactly.
	for _, d := range []Dependency{
		{Module: "core", First: v("2.50.0")},
		{Module: "core", First: v("2.50.0"), Upper: last("2.50.9"), Enforcement: EnforceMinor, UserEditable: true},
		{Module: "core", First: v("2.50.0"), Upper: below("3.1")},
	} {
		m := validManifest()
		m.Depends = []Dependency{d}
		data := "name = \"arp\"\nversion = \"1.4.0\"\ndepends = [" + dependencyTable(d) + "]\n"
		back, err := ParseManifest([]byte(data))
		if err != nil || !reflect.DeepEqual(back.Depends, m.Depends) {
			t.Errorf("table form %s read back as %#v, %v", dependencyTable(d), back, err)
		}
	}
}

func TestScriptAppliesTo(t *testing.T) {
	from := v("1.3.0")
	s := Script{Phase: "pre", Path: "a.sql", From: &from, To: v("1.4.0")}
	open := Script{Phase: "pre", Path: "b.sql", To: v("1.4.0")}
	tests := []struct {
		s                 Script
		installed, target string
		want              bool
	}{
		{s, "1.3.0", "1.4.0", true},
		{s, "1.3.5", "2.0", true},
		{s, "1.2.9", "1.4.0", false},
		{s, "1.4.0", "1.5.0", false},
		{s, "1.3.0", "1.3.9", false},
		{open, "0.1", "1.4.0", true},
		{open, "1.4.0.0", "1.5", false},
		{open, "1.3", "1.4.0.0", true},
	}
	for _, tt := range tests {
		if got := tt.s.AppliesTo(v(tt.installed), v(tt.target)); got != tt.want {
			t.Errorf("%s AppliesTo(%s, %s) = %v, want %v", tt.s.Path, tt.installed, tt.target, got, tt.want)
		}
	}
}

func TestManifestRelease(t *testing.T) {
	m, err := ParseManifest([]byte(fullManifest))
	if err != nil {
		t.Fatal(err)
	}
	ref := ArchiveRef{Path: "archives/x.zip", Length: 10, SHA256: strings.Repeat("a", 64)}
	when := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r := m.Release(ref, when)
	want := Release{Version: m.Version, Summary: m.Summary, Maturity: m.Maturity, Patch: true, UpdateAll: true,
		UpgradeFrom: m.UpgradeFrom, Depends: m.Depends, Scripts: m.Scripts, Archive: ref, Published: when}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("Release() = %#v, want %#v", r, want)
	}
	// The release owns its data.
	r.UpgradeFrom.n[0] = 9
	r.Depends[1].Upper.Version = v("9.0")
	r.Scripts[0].From.n[0] = 9
	if m.UpgradeFrom.n[0] == 9 || m.Depends[1].Upper.Version.Equal(v("9.0")) || m.Scripts[0].From.n[0] == 9 {
		t.Error("Release() shares memory with the manifest")
	}
}
