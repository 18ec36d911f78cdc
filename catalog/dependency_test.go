package catalog

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func v(s string) Version { return MustParseVersion(s) }

func below(s string) *Bound { return &Bound{Version: v(s)} }

func last(s string) *Bound { return &Bound{Version: v(s), Inclusive: true} }

func TestParseDependency(t *testing.T) {
	tests := []struct {
		in   string
		want Dependency
		str  string
	}{
		{"core>=2.50.21", Dependency{Module: "core", First: v("2.50.21")}, "core>=2.50.21"},
		{"core>=2.50.21,<3.1", Dependency{Module: "core", First: v("2.50.21"), Upper: below("3.1"), Enforcement: EnforceNone}, "core>=2.50.21,<3.1"},
		{"core>=2.50.21,<=2.50.30", Dependency{Module: "core", First: v("2.50.21"), Upper: last("2.50.30"), Enforcement: EnforceNone}, "core>=2.50.21,<=2.50.30"},
		{"core>=2.50.21 minor", Dependency{Module: "core", First: v("2.50.21"), Enforcement: EnforceMinor}, "core>=2.50.21 minor"},
		{"core>=2.50.21 none", Dependency{Module: "core", First: v("2.50.21"), Enforcement: EnforceNone}, "core>=2.50.21 none"},
		{"core>=2.50.21 major", Dependency{Module: "core", First: v("2.50.21")}, "core>=2.50.21"},
		{"core>=2.50.21,<2.50.30 major", Dependency{Module: "core", First: v("2.50.21"), Upper: below("2.50.30")}, "core>=2.50.21,<2.50.30 major"},
		{"core>=2.50.21 editable", Dependency{Module: "core", First: v("2.50.21"), UserEditable: true}, "core>=2.50.21 editable"},
		{"core>=2.50.21 minor editable", Dependency{Module: "core", First: v("2.50.21"), Enforcement: EnforceMinor, UserEditable: true}, "core>=2.50.21 minor editable"},
		{"core=2.50.*", Dependency{Module: "core", First: v("2.50")}, "core>=2.50"},
		{"  core >= 2.50MP21 , < 3.1   major  editable ", Dependency{Module: "core", First: v("2.50.21"), Upper: below("3.1"), UserEditable: true}, "core>=2.50.21,<3.1 major editable"},
		{"core = 2.50.* minor", Dependency{Module: "core", First: v("2.50"), Enforcement: EnforceMinor}, "core>=2.50 minor"},
		{"org.openbravo.advpaymentmngt>=3.0.1", Dependency{Module: "org.openbravo.advpaymentmngt", First: v("3.0.1")}, "org.openbravo.advpaymentmngt>=3.0.1"},
		{"core>=2.50,<=2.50", Dependency{Module: "core", First: v("2.50"), Upper: last("2.50"), Enforcement: EnforceNone}, "core>=2.50,<=2.50"},
	}
	for _, tt := range tests {
		d, err := ParseDependency(tt.in)
		if err != nil {
			t.Errorf("ParseDependency(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(d, tt.want) {
			t.Errorf("ParseDependency(%q) = %#v, want %#v", tt.in, d, tt.want)
		}
		if d.String() != tt.str {
			t.Errorf("ParseDependency(%q).String() = %q, want %q", tt.in, d.String(), tt.str)
		}
		back, err := ParseDependency(d.String())
		if err != nil || !reflect.DeepEqual(back, d) {
			t.Errorf("round trip of %q: %#v, %v", d.String(), back, err)
		}
	}
}

func TestParseDependencyErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "module name is missing"},
		{">=1.0", "module name is missing"},
		{"Core>=1.0", "must be lowercase"},
		{"core", `expected ">=" or "="`},
		{"core 1.0", `expected ">=" or "="`},
		{"core<2.0", `expected ">=" or "="`},
		{"core>=", `version "": is empty`},
		{"core>=x", `component "x" is not a number`},
		{"core>=1", "needs at least two components"},
		{"core=2.50.1", `"=" takes a series followed by ".*"`},
		{"core=2.50.1.*", "exactly two components"},
		{"core==2.50.*", `"=" takes a series`},
		{"core>=1.0,", `after ",", expected "<" or "<="`},
		{"core>=1.0,>2.0", `after ",", expected "<" or "<="`},
		{"core>=1.0,<", `version "": is empty`},
		{"core>=1.0<2.0", `unexpected "<2.0"`},
		{"core>=1.0,<2.0,<3.0", `unexpected ",<3.0"`},
		{"core>=1.0 strict", `unexpected word "strict"`},
		{"core>=1.0 minor major", `unexpected word "major"`},
		{"core>=1.0 editable minor", `unexpected word "minor"`},
		{"core>=1.0 editable editable", `unexpected word "editable"`},
		{"core>=2.0,<2.0", "not above first version 2.0"},
		{"core>=2.0,<1.9", "not above first version"},
		{"core>=2.0,<=1.9", "not above first version"},
		{"co re>=1.0", `expected ">=" or "="`},
		{"core!>=1.0", `character '!'`},
	}
	for _, tt := range tests {
		_, err := ParseDependency(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDependency(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "dependency ") {
			t.Errorf("ParseDependency(%q) error %q does not name the dependency", tt.in, err)
		}
	}
}

func TestValidateModuleName(t *testing.T) {
	good := []string{"core", "arp", "org.openbravo.advpaymentmngt", "a", "0", "party_relationship", "sale-price-list", strings.Repeat("a", 128)}
	for _, n := range good {
		if err := ValidateModuleName(n); err != nil {
			t.Errorf("ValidateModuleName(%q): %v", n, err)
		}
	}
	bad := map[string]string{
		"":                       "empty",
		"Core":                   "lowercase",
		"_core":                  "must start",
		".core":                  "must start",
		"-core":                  "must start",
		"core.":                  `end with "."`,
		"org..openbravo":         `".."`,
		"core/x":                 "not allowed",
		"core x":                 "not allowed",
		"cöre":                   "not allowed",
		strings.Repeat("a", 129): "limit is 128",
	}
	for n, want := range bad {
		if err := ValidateModuleName(n); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateModuleName(%q) = %v, want it to contain %q", n, err, want)
		}
	}
}

func TestRangeAndAllows(t *testing.T) {
	tests := []struct {
		dep     string
		rng     string
		allowed []string
		refused []string
	}{
		{"core>=2.50.21", ">=2.50.21,<2.51", []string{"2.50.21", "2.50.99.1"}, []string{"2.50.20", "2.51", "2.51.0", "3.0.0"}},
		{"core>=2.50.21 minor", ">=2.50.21,<2.50.22", []string{"2.50.21", "2.50.21.9"}, []string{"2.50.22", "2.50.20"}},
		{"core>=2.50.21 none", ">=2.50.21", []string{"2.50.21", "99.0"}, []string{"2.50.20.9"}},
		{"core>=2.50.21,<3.1", ">=2.50.21,<3.1", []string{"3.0.99"}, []string{"3.1", "3.1.0.0"}},
		{"core>=2.50.21,<=2.50.30", ">=2.50.21,<=2.50.30", []string{"2.50.30", "2.50.30.0"}, []string{"2.50.30.1", "2.50.31"}},
		{"core>=2.50.21,<3.1 major", ">=2.50.21,<2.51", []string{"2.50.30"}, []string{"2.51"}},
		{"core>=2.50.21,<2.50.30 major", ">=2.50.21,<2.50.30", []string{"2.50.29.9"}, []string{"2.50.30"}},
		{"core>=2.50.21,<=2.51 major", ">=2.50.21,<2.51", nil, []string{"2.51"}},
		{"core>=2.50.21,<2.51 major", ">=2.50.21,<2.51", nil, []string{"2.51"}},
		{"core>=2.50.21,<=2.50.22 minor", ">=2.50.21,<2.50.22", nil, []string{"2.50.22"}},
		{"core=2.50.*", ">=2.50,<2.51", []string{"2.50", "2.50.0.1"}, []string{"2.49.99", "2.51"}},
		{"core=2.50.* minor", ">=2.50,<2.50.1", []string{"2.50.0.5"}, []string{"2.50.1"}},
	}
	for _, tt := range tests {
		d, err := ParseDependency(tt.dep)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Range().String(); got != tt.rng {
			t.Errorf("%s: Range() = %s, want %s", tt.dep, got, tt.rng)
		}
		for _, s := range tt.allowed {
			if !d.Allows(v(s)) {
				t.Errorf("%s does not allow %s", tt.dep, s)
			}
		}
		for _, s := range tt.refused {
			if d.Allows(v(s)) {
				t.Errorf("%s allows %s", tt.dep, s)
			}
		}
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		d, old string
		want   bool
	}{
		{"core>=2.50.21", "core>=2.50.21", true},
		{"core>=2.50.0", "core>=2.50.21", true},
		{"core>=2.50.21 none", "core>=2.50.21", true},
		{"core>=2.50.21,<3.1", "core>=2.50.21", true},
		{"core>=2.50.21,<2.51", "core>=2.50.21", true},
		{"core>=2.50.21,<=2.51", "core>=2.50.21", true},
		{"core>=2.50.21,<=2.50.30", "core>=2.50.21,<2.50.30", true},
		{"core>=2.50.21,<2.50.30", "core>=2.50.21,<=2.50.30", false},
		{"core>=2.50.22", "core>=2.50.21", false},
		{"core>=2.50.21 minor", "core>=2.50.21", false},
		{"core>=2.50.21", "core>=2.50.21 none", false},
		{"core>=2.50.21,<2.50.29", "core>=2.50.21,<2.50.30", false},
		{"arp>=2.50.21", "core>=2.50.21", false},
		{"core>=2.50.21", "core>=2.50.21,<=2.50.30", true},
		{"core>=2.50.21 none", "core>=2.50.21,<9.0", true},
	}
	for _, tt := range tests {
		d, _ := ParseDependency(tt.d)
		old, _ := ParseDependency(tt.old)
		if got := d.Covers(old); got != tt.want {
			t.Errorf("(%s).Covers(%s) = %v, want %v", tt.d, tt.old, got, tt.want)
		}
	}
	// An empty range is covered by anything.
	empty := Dependency{Module: "core", First: v("2.0"), Upper: below("1.0"), Enforcement: EnforceNone}
	if !(Dependency{Module: "core", First: v("3.0")}).Covers(empty) {
		t.Error("an empty range is not covered")
	}
}

func deps(t *testing.T, ss ...string) []Dependency {
	t.Helper()
	var out []Dependency
	for _, s := range ss {
		d, err := ParseDependency(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestCheckWidening(t *testing.T) {
	tests := []struct {
		name     string
		old, new []string
		want     []string // substrings of the error; none means success
	}{
		{"same", []string{"core>=2.50.21"}, []string{"core>=2.50.21"}, nil},
		{"lower first", []string{"core>=2.50.21"}, []string{"core>=2.50.0"}, nil},
		{"drop the upper bound", []string{"core>=2.50.21"}, []string{"core>=2.50.21 none"}, nil},
		{"explicit cap above the series", []string{"core>=2.50.21"}, []string{"core>=2.50.21,<3.1"}, nil},
		{"dependency dropped", []string{"core>=2.50.21", "arp>=1.0"}, []string{"core>=2.50.21"}, nil},
		{"become editable", []string{"core>=2.50.21"}, []string{"core>=2.50.21 editable"}, nil},
		{"empty", nil, nil, nil},
		{"higher first", []string{"core>=2.50.21"}, []string{"core>=2.50.22"},
			[]string{`dependency on "core"`, ">=2.50.22,<2.51", ">=2.50.21,<2.51", "extend may only widen dependencies"}},
		{"minor narrows", []string{"core>=2.50.21"}, []string{"core>=2.50.21 minor"},
			[]string{`"core"`, ">=2.50.21,<2.50.22", "extend may only widen dependencies"}},
		{"lower cap", []string{"core>=2.50.21,<=2.50.30"}, []string{"core>=2.50.21,<2.50.30"},
			[]string{">=2.50.21,<2.50.30", ">=2.50.21,<=2.50.30"}},
		{"new dependency", []string{"core>=2.50.21"}, []string{"core>=2.50.21", "arp>=1.0"},
			[]string{`dependency on "arp"`, "is new", "extend may only widen dependencies"}},
		{"no longer editable", []string{"core>=2.50.21 editable"}, []string{"core>=2.50.21"},
			[]string{`"core"`, "no longer user-editable", "extend may only widen dependencies"}},
		{"two problems", []string{"core>=2.50.21", "arp>=1.0"}, []string{"core>=2.50.22", "arp>=1.0 minor"},
			[]string{`"core"`, `"arp"`}},
	}
	for _, tt := range tests {
		err := CheckWidening(deps(t, tt.old...), deps(t, tt.new...))
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.name, err, w)
			}
		}
	}
}

func TestDependencyJSON(t *testing.T) {
	tests := []struct {
		dep  string
		json string
	}{
		{"core>=2.50.21", `{"module":"core","first":"2.50.21","enforcement":"major"}`},
		{"core>=2.50.21,<=2.50.30", `{"module":"core","first":"2.50.21","last":"2.50.30","enforcement":"none"}`},
		{"core>=2.50.21,<3.1 major editable", `{"module":"core","first":"2.50.21","below":"3.1","enforcement":"major","user_editable":true}`},
	}
	for _, tt := range tests {
		d, _ := ParseDependency(tt.dep)
		out, err := json.Marshal(d)
		if err != nil || string(out) != tt.json {
			t.Errorf("Marshal(%s) = %s, %v; want %s", tt.dep, out, err, tt.json)
		}
		var back Dependency
		if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, d) {
			t.Errorf("Unmarshal(%s) = %#v, %v", out, back, err)
		}
	}
}

func TestDependencyJSONDefaults(t *testing.T) {
	var d Dependency
	if err := json.Unmarshal([]byte(`{"module":"core","first":"2.50","below":"3.1","future":1}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.Enforcement != EnforceNone || d.Upper == nil || d.Upper.Inclusive {
		t.Errorf("below without enforcement: %#v", d)
	}
	if err := json.Unmarshal([]byte(`{"module":"core","first":"2.50"}`), &d); err != nil || d.Enforcement != EnforceMajor || d.Upper != nil {
		t.Errorf("bare: %#v, %v", d, err)
	}
	bad := map[string]string{
		`{"module":"core","first":"2.50","below":"3.1","last":"3.0"}`: `both "last" and "below"`,
		`{"module":"core","first":"x"}`:                               `component "x"`,
		`{"module":"core","first":"2.0","enforcement":"strict"}`:      `enforcement "strict"`,
		`[]`: "cannot unmarshal",
	}
	for in, want := range bad {
		if err := json.Unmarshal([]byte(in), &d); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Unmarshal(%s) = %v, want it to contain %q", in, err, want)
		}
	}
	if _, err := json.Marshal(Dependency{Module: "x", First: v("1.0"), Enforcement: 7}); err == nil {
		t.Error("Marshal with an undefined enforcement did not fail")
	}
}

func TestDependencyValidate(t *testing.T) {
	tests := []struct {
		d    Dependency
		want string
	}{
		{Dependency{Module: "core", First: v("1.0")}, ""},
		{Dependency{Module: "", First: v("1.0")}, "module name is empty"},
		{Dependency{Module: "core"}, "first version is missing"},
		{Dependency{Module: "core", First: v("1.0"), Enforcement: 5}, "enforcement 5 is not defined"},
		{Dependency{Module: "core", First: v("1.0"), Upper: &Bound{}}, "upper bound has no version"},
		{Dependency{Module: "core", First: v("1.0"), Upper: below("1.0")}, "not above first version"},
		{Dependency{Module: "core", First: v("1.0"), Upper: last("1.0")}, ""},
	}
	for _, tt := range tests {
		err := tt.d.validate()
		if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("validate(%#v) = %v, want %q", tt.d, err, tt.want)
		}
	}
}

func BenchmarkAllows(b *testing.B) {
	d, err := ParseDependency("core>=2.50.21,<3.1 major")
	if err != nil {
		b.Fatal(err)
	}
	x := MustParseVersion("2.50.30")
	for b.Loop() {
		if !d.Allows(x) {
			b.Fatal("not allowed")
		}
	}
}
