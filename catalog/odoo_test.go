package catalog

import (
	"strings"
	"testing"
)

func TestOdooFull(t *testing.T) {
	s17 := Series{17, 0}
	tests := []struct{ in, want string }{
		{"1.1.0", "17.0.1.1.0"},
		{"1.3", "17.0.1.3"},
		{"17.0.1.1.0", "17.0.1.1.0"},
		{"17.0.1.3", "17.0.1.3"},
		{"17.0", "17.0.17.0"},              // Odoo prefixes a version equal to the series too
		{"16.0.1.0.0", "17.0.16.0.1.0.0"},  // another series is majorless to Odoo 17
		{"1.2.3.4.5.6.7", "1.2.3.4.5.6.7"}, // too long for the prefix
	}
	for _, tt := range tests {
		if got := OdooFull(MustParseVersion(tt.in), s17); got.String() != tt.want {
			t.Errorf("OdooFull(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestOdooModulePart(t *testing.T) {
	tests := []struct{ in, want string }{
		{"17.0.1.1.0", "1.1.0"},
		{"17.0.1.3", "1.3"},
		{"17.0.1", "1"},
		{"17.0", "17.0"},
	}
	for _, tt := range tests {
		if got := OdooModulePart(MustParseVersion(tt.in)); got.String() != tt.want {
			t.Errorf("OdooModulePart(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseOdooVersion(t *testing.T) {
	s17 := Series{17, 0}
	good := []struct{ in, want string }{
		{"1.1.0", "17.0.1.1.0"},
		{"1.0", "17.0.1.0"},
		{"17.0.1.1.0", "17.0.1.1.0"},
		{"17.0.1.3", "17.0.1.3"},
		{"17.0", "17.0.17.0"},
	}
	for _, tt := range good {
		v, err := ParseOdooVersion(tt.in, s17)
		if err != nil || v.String() != tt.want {
			t.Errorf("ParseOdooVersion(%q) = %s, %v; want %s", tt.in, v, err, tt.want)
		}
	}
	bad := []struct{ in, says string }{
		{"17.0.1", "accepts x.y, x.y.z, 17.0.x.y or 17.0.x.y.z only"},
		{"1.2.3.4", "accepts x.y, x.y.z"},
		{"17.0.1.2.3.4", "accepts x.y, x.y.z"},
		{"16.0.1.0.0", "accepts x.y, x.y.z"},
		{"1.x", "is not a number"},
		{"", "is empty"},
	}
	for _, tt := range bad {
		_, err := ParseOdooVersion(tt.in, s17)
		if err == nil || !strings.Contains(err.Error(), tt.says) || !strings.HasPrefix(err.Error(), "version ") {
			t.Errorf("ParseOdooVersion(%q) error = %v, want one saying %q", tt.in, err, tt.says)
		}
	}
}

func TestClassifyOdoo(t *testing.T) {
	tests := []struct {
		from, to string
		patch    bool
		want     ChangeKind
	}{
		{"17.0.1.0.0", "17.0.1.0.0", false, KindNone},
		{"17.0.1.1.0", "17.0.1.0.0", false, KindNone},
		{"17.0.1.0.0", "17.0.1.1.0", false, KindUpdate}, // a new column: never a patch
		{"17.0.1.0.0", "17.0.1.1.0", true, KindUpdate},  // a patch claim does not cover y
		{"17.0.1.0.0", "17.0.1.0.1", false, KindUpdate}, // z without the promise
		{"17.0.1.0.0", "17.0.1.0.1", true, KindPatch},   // z with the promise
		{"17.0.1.0.0", "17.0.2.0.0", false, KindUpgrade},
		{"17.0.1.0.0", "17.0.2.0.0", true, KindUpgrade},
		{"16.0.1.0.0", "17.0.1.0.0", false, KindUpgrade}, // series change
		{"16.0.1.0.0", "17.0.1.0.0", true, KindUpgrade},
		{"17.0.1.3", "17.0.1.4", false, KindUpdate}, // base's x.y
		{"17.0.1.0", "17.0.1.0.1", false, KindUpdate},
		{"17.0.1.0.0", "17.0.1.0.0.1", false, KindPatch}, // past z
	}
	for _, tt := range tests {
		got := ClassifyOdoo(MustParseVersion(tt.from), Release{Version: MustParseVersion(tt.to), Patch: tt.patch})
		if got != tt.want {
			t.Errorf("ClassifyOdoo(%s → %s, patch=%v) = %v, want %v", tt.from, tt.to, tt.patch, got, tt.want)
		}
	}
}

func FuzzParseOdooVersion(f *testing.F) {
	for _, s := range []string{"1.1.0", "1.0", "17.0.1.1.0", "17.0.1.3", "17.0", "17.0.1", "1.2.3.4", "16.0.1.0.0", "", "1.x", "17.0.1.2.3.4"} {
		f.Add(s, "17.0.1.0.0", false)
	}
	f.Add("1.0.1", "17.0.1.0.0", true)
	f.Fuzz(func(t *testing.T, s, from string, patch bool) {
		s17 := Series{17, 0}
		v, err := ParseOdooVersion(s, s17)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "version ") {
				t.Fatalf("error %q does not name the version", err)
			}
			return
		}
		if v.Series() != s17 || OdooFull(v, s17) != v {
			t.Fatalf("%q gave %s, not a full 17.0 version", s, v)
		}
		if n := OdooModulePart(v).Len(); n < 2 || n > 3 {
			t.Fatalf("%q gave %s with a module part of %d components", s, v, n)
		}
		if again, err := ParseOdooVersion(v.String(), s17); err != nil || again != v {
			t.Fatalf("%s does not parse back to itself: %s, %v", v, again, err)
		}
		f, err := ParseVersion(from)
		if err != nil || f.Len() < 3 {
			return
		}
		k := ClassifyOdoo(f, Release{Version: v, Patch: patch})
		if (k == KindNone) != (v.Compare(f) <= 0) {
			t.Fatalf("ClassifyOdoo(%s, %s) = %v but Compare = %d", f, v, k, v.Compare(f))
		}
		if k == KindPatch && OdooModulePart(f).Component(1) != OdooModulePart(v).Component(1) {
			t.Fatalf("ClassifyOdoo(%s, %s) = patch although y changed", f, v)
		}
	})
}
