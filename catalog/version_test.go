package catalog

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want string
		len  int
	}{
		{"2.50.21", "2.50.21", 3},
		{"2.50MP21", "2.50.21", 3},
		{"2.50mp21", "2.50.21", 3},
		{"3.0MP3", "3.0.3", 3},
		{"6.0.29", "6.0.29", 3},
		{"16.0.1.2.3", "16.0.1.2.3", 5},
		{"2.050", "2.50", 2},
		{"0.0", "0.0", 2},
		{"1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.8", 8},
		{"999999999.0", "999999999.0", 2},
		{"0000000001.02", "1.2", 2},
		{"1MP2MP3", "1.2.3", 3},
	}
	for _, tt := range tests {
		v, err := ParseVersion(tt.in)
		if err != nil {
			t.Errorf("ParseVersion(%q): %v", tt.in, err)
			continue
		}
		if v.String() != tt.want || v.Len() != tt.len {
			t.Errorf("ParseVersion(%q) = %q (len %d), want %q (len %d)", tt.in, v, v.Len(), tt.want, tt.len)
		}
	}
}

func TestParseVersionErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `version "": is empty`},
		{"1", `version "1": needs at least two components (the series), e.g. "1.0"`},
		{"2.x.1", `version "2.x.1": component "x" is not a number`},
		{"1..2", "empty component"},
		{".1.2", "empty component"},
		{"1.2.", "empty component"},
		{"1.2MP", "empty component"},
		{"MP1.2", "empty component"},
		{"1.2.MP3", "empty component"},
		{" 1.2", `component " 1" is not a number`},
		{"1.2 ", `component "2 " is not a number`},
		{"-1.2", `component "-1"`},
		{"+1.2", `component "+1"`},
		{"1.2a", `component "2a"`},
		{"v1.2", `component "v1"`},
		{"1.2.3.4.5.6.7.8.9", "more than 8 components"},
		{"1000000000.0", "larger than 999999999"},
		{"1.99999999999999999999999", "larger than 999999999"},
		{"1,2", "not a number"},
		{"1.2M3", "not a number"},
		{"1.٣", "not a number"},
	}
	for _, tt := range tests {
		_, err := ParseVersion(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseVersion(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestMustParseVersionPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParseVersion(\"x\") did not panic")
		}
	}()
	MustParseVersion("x")
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.50.21", "3.0.0", -1},
		{"2.50MP21", "2.50.21", 0},
		{"6.0.1", "6.0.1.0", 0},
		{"6.0.1.0.0", "6.0.1", 0},
		{"6.0.10", "6.0.9", 1},
		{"16.0.1.2.3", "16.0.1.2", 1},
		{"2.9", "2.10", -1},
		{"1.0", "1.0.0.0.0.0.0.1", -1},
		{"999999999.0", "1.999999999", 1},
	}
	for _, tt := range tests {
		a, b := MustParseVersion(tt.a), MustParseVersion(tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := b.Compare(a); got != -tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
		if a.Less(b) != (tt.want < 0) || a.Equal(b) != (tt.want == 0) {
			t.Errorf("Less/Equal of %s and %s disagree with Compare", tt.a, tt.b)
		}
		if got := strings.Compare(a.SortKey(), b.SortKey()); got != tt.want {
			t.Errorf("SortKey order of %s and %s = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSortKeySortsLikeCompare(t *testing.T) {
	in := []string{"6.0.1.0", "2.50MP21", "16.0.1.2.3", "3.0.0", "6.0.1", "0.0", "999999999.999999999", "2.9", "2.10", "6.0.0.1"}
	vs := make([]Version, len(in))
	for i, s := range in {
		vs[i] = MustParseVersion(s)
	}
	byCompare := slices.Clone(vs)
	slices.SortStableFunc(byCompare, Version.Compare)
	byKey := slices.Clone(vs)
	slices.SortStableFunc(byKey, func(a, b Version) int { return strings.Compare(a.SortKey(), b.SortKey()) })
	for i := range byCompare {
		if !byCompare[i].Equal(byKey[i]) {
			t.Fatalf("order by SortKey %v differs from order by Compare %v", byKey, byCompare)
		}
	}
	if k := MustParseVersion("6.0.1").SortKey(); k != MustParseVersion("6.0.1.0").SortKey() || len(k) != 87 {
		t.Errorf("SortKey(6.0.1) = %q: want the key of 6.0.1.0, 87 bytes", k)
	}
}

func TestVersionAccessors(t *testing.T) {
	v := MustParseVersion("16.0.1.2.3")
	if v.Len() != 5 || v.Component(0) != 16 || v.Component(4) != 3 || v.Component(5) != 0 || v.Component(-1) != 0 {
		t.Errorf("accessors of %s wrong: len %d, components %d %d %d", v, v.Len(), v.Component(0), v.Component(4), v.Component(5))
	}
	if s := v.Series(); s != (Series{16, 0}) || s.String() != "16.0" {
		t.Errorf("Series() = %v", s)
	}
	var zero Version
	if !zero.IsZero() || v.IsZero() || MustParseVersion("0.0").IsZero() {
		t.Error("IsZero: want true only for the zero Version")
	}
	if zero.String() != "" {
		t.Errorf("zero String() = %q", zero.String())
	}
}

func TestAppendWithLast(t *testing.T) {
	v := MustParseVersion("6.0.1")
	w, err := v.Append(7)
	if err != nil || w.String() != "6.0.1.7" || v.String() != "6.0.1" {
		t.Fatalf("Append(7) = %s, %v (original %s)", w, err, v)
	}
	if w.WithLast(9).String() != "6.0.1.9" {
		t.Errorf("WithLast(9) = %s", w.WithLast(9))
	}
	if got := v.WithLast(4_000_000_000).String(); got != "6.0.999999999" {
		t.Errorf("WithLast(too large) = %s", got)
	}
	if (Version{}).WithLast(3) != (Version{}) {
		t.Error("WithLast on the zero Version changed it")
	}
	full := MustParseVersion("1.2.3.4.5.6.7.8")
	if _, err := full.Append(1); err == nil || !strings.Contains(err.Error(), "maximum of 8") {
		t.Errorf("Append past 8 components: err = %v", err)
	}
	if _, err := v.Append(1_000_000_000); err == nil {
		t.Error("Append(1000000000) did not fail")
	}
}

func TestVersionText(t *testing.T) {
	var r struct {
		V Version  `json:"v"`
		P *Version `json:"p"`
		E Version  `json:"e"`
	}
	if err := json.Unmarshal([]byte(`{"v":"2.50MP21","p":"16.0.1.2.3","e":""}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.V.String() != "2.50.21" || r.P.String() != "16.0.1.2.3" || !r.E.IsZero() {
		t.Fatalf("decoded %+v", r)
	}
	out, _ := json.Marshal(r)
	if string(out) != `{"v":"2.50.21","p":"16.0.1.2.3","e":""}` {
		t.Errorf("encoded %s", out)
	}
	if err := json.Unmarshal([]byte(`{"v":"2.x"}`), &r); err == nil {
		t.Error("bad version decoded without error")
	}
}

func TestSeries(t *testing.T) {
	s, err := ParseSeries("2.50")
	if err != nil || s != (Series{2, 50}) {
		t.Fatalf("ParseSeries(2.50) = %v, %v", s, err)
	}
	if f := s.First(); f.String() != "2.50" || f.Len() != 2 {
		t.Errorf("First() = %s", f)
	}
	for _, bad := range []string{"2.50.1", "2", "x.1", ""} {
		if _, err := ParseSeries(bad); err == nil {
			t.Errorf("ParseSeries(%q) did not fail", bad)
		}
	}
	if (Series{2, 50}).Compare(Series{3, 0}) != -1 || (Series{16, 0}).Compare(Series{6, 2}) != 1 || s.Compare(s) != 0 {
		t.Error("Series.Compare wrong")
	}
	var back Series
	text, _ := s.MarshalText()
	if err := back.UnmarshalText(text); err != nil || back != s {
		t.Errorf("text round trip: %v, %v", back, err)
	}
	if err := back.UnmarshalText([]byte("2.50.1")); err == nil || back != s {
		t.Error("UnmarshalText of a version did not fail or changed the value")
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		from, to string
		want     ChangeKind
	}{
		{"6.0.3", "6.2.0", KindUpgrade},
		{"2.50.21", "3.0.0", KindUpgrade},
		{"6.0.0", "6.0.1", KindUpdate},
		{"6.0", "6.0.1", KindUpdate},
		{"6.0.1", "6.0.1.1", KindPatch},
		{"6.0.1.1", "6.0.1.2.5", KindPatch},
		{"6.0.1", "6.0.1.0", KindNone},
		{"6.0.1", "6.0.1", KindNone},
		{"6.0.2", "6.0.1", KindNone},
		{"3.0.0", "2.50.21", KindNone},
	}
	for _, tt := range tests {
		if got := Classify(MustParseVersion(tt.from), MustParseVersion(tt.to)); got != tt.want {
			t.Errorf("Classify(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestClassifyRelease(t *testing.T) {
	tests := []struct {
		from, to string
		patch    bool
		want     ChangeKind
	}{
		{"6.0.0", "6.0.1", true, KindPatch},
		{"6.0.0", "6.0.1", false, KindUpdate},
		{"6.0.3", "6.2.0", true, KindUpgrade},
		{"6.0.1", "6.0.1.1", false, KindPatch},
		{"6.0.1", "6.0.0", true, KindNone},
	}
	for _, tt := range tests {
		rel := Release{Version: MustParseVersion(tt.to), Patch: tt.patch}
		if got := ClassifyRelease(MustParseVersion(tt.from), rel); got != tt.want {
			t.Errorf("ClassifyRelease(%s, %s patch=%v) = %v, want %v", tt.from, tt.to, tt.patch, got, tt.want)
		}
	}
}

func TestClassifyModule(t *testing.T) {
	tests := []struct {
		from, to    string
		patch, core bool
		want        ChangeKind
	}{
		{"1.0.0", "2.0.0", false, false, KindUpgrade},  // the module's own major
		{"1.0.0", "2.0.0", true, false, KindUpgrade},   // a patch mark does not hide a major
		{"0.9.0", "1.0.0", false, false, KindUpgrade},  // 0.x to 1.x is a major change
		{"1.3.0", "1.4.0", false, false, KindUpdate},   // minor
		{"1.3.0", "1.4.0", true, false, KindPatch},     // minor marked patch
		{"1.3.0", "1.3.1", false, false, KindUpdate},   // third component
		{"1.3.0", "1.3.1", false, true, KindUpgrade},   // needs another core series
		{"1.3.0", "1.3.0.1", false, false, KindPatch},  // only later components
		{"1.3.0", "1.3.0.1", false, true, KindUpgrade}, // extension for another core series
		{"6.0.3", "6.2.0", false, false, KindUpdate},   // same major, same core series
		{"6.0.3", "6.2.0", false, true, KindUpgrade},
		{"2.0.0", "1.9.0", false, false, KindNone},
		{"1.0", "1.0.0", false, false, KindNone},
	}
	for _, tt := range tests {
		rel := Release{Version: MustParseVersion(tt.to), Patch: tt.patch}
		if got := ClassifyModule(MustParseVersion(tt.from), rel, tt.core); got != tt.want {
			t.Errorf("ClassifyModule(%s, %s patch=%v, core changed=%v) = %v, want %v", tt.from, tt.to, tt.patch, tt.core, got, tt.want)
		}
	}
}

// textEnum is what the enum types have in common.
type textEnum interface {
	String() string
	MarshalText() ([]byte, error)
}

func TestEnumText(t *testing.T) {
	tests := []struct {
		v     textEnum
		name  string
		parse func(string) (textEnum, error)
	}{
		{KindNone, "none", parseKind}, {KindPatch, "patch", parseKind}, {KindUpdate, "update", parseKind},
		{KindUpgrade, "upgrade", parseKind}, {KindNew, "new", parseKind},
		{MaturityTest, "test", parseMat}, {MaturityAlpha, "alpha", parseMat}, {MaturityBeta, "beta", parseMat},
		{MaturityQAApproved, "qa-approved", parseMat}, {MaturityConfirmedStable, "confirmed-stable", parseMat},
		{EnforceMajor, "major", parseEnf}, {EnforceMinor, "minor", parseEnf}, {EnforceNone, "none", parseEnf},
	}
	for _, tt := range tests {
		text, err := tt.v.MarshalText()
		if err != nil || string(text) != tt.name || tt.v.String() != tt.name {
			t.Errorf("%#v: MarshalText = %q, %v; String = %q; want %q", tt.v, text, err, tt.v.String(), tt.name)
		}
		back, err := tt.parse(strings.ToUpper(tt.name))
		if err != nil || back != tt.v {
			t.Errorf("parse(%q) = %v, %v", strings.ToUpper(tt.name), back, err)
		}
	}
}

func parseKind(s string) (textEnum, error) {
	var k ChangeKind
	err := k.UnmarshalText([]byte(s))
	return k, err
}

func parseMat(s string) (textEnum, error) {
	var m Maturity
	err := m.UnmarshalText([]byte(s))
	return m, err
}

func parseEnf(s string) (textEnum, error) {
	var e Enforcement
	err := e.UnmarshalText([]byte(s))
	return e, err
}

func TestEnumErrors(t *testing.T) {
	if _, err := ParseMaturity("stable"); err == nil || !strings.Contains(err.Error(), "test, alpha, beta, qa-approved, confirmed-stable") {
		t.Errorf("ParseMaturity(stable) error = %v, want the valid names listed", err)
	}
	if _, err := ParseEnforcement("strict"); err == nil || !strings.Contains(err.Error(), "major, minor, none") {
		t.Errorf("ParseEnforcement(strict) error = %v", err)
	}
	for _, p := range []func(string) (textEnum, error){parseKind, parseMat, parseEnf} {
		if _, err := p("bogus"); err == nil {
			t.Error("parsing bogus did not fail")
		}
	}
	for _, v := range []textEnum{ChangeKind(9), Maturity(-1), Enforcement(3)} {
		if _, err := v.MarshalText(); err == nil {
			t.Errorf("MarshalText(%v) did not fail", v)
		}
		if !strings.Contains(v.String(), "(") {
			t.Errorf("String() of an undefined value = %q", v.String())
		}
	}
	var k ChangeKind = KindUpdate
	if k.UnmarshalText([]byte("x")) == nil || k != KindUpdate {
		t.Error("failed UnmarshalText changed the value")
	}
}

func BenchmarkParseVersion(b *testing.B) {
	for b.Loop() {
		if _, err := ParseVersion("2.50MP21.4"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	v, w := MustParseVersion("16.0.1.2.3"), MustParseVersion("16.0.1.2.4")
	for b.Loop() {
		if v.Compare(w) != -1 {
			b.Fatal("wrong order")
		}
	}
}
