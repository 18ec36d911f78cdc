package modname_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/modname"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"arp", "arp", 0}, {"arpp", "arp", 1}, {"cor", "core", 1}, {"reprots", "reports", 1},
		{"localisation-es", "localization-es", 1}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3},
		{"ca", "abc", 3}, {"héllo", "hello", 1},
	} {
		if got := modname.Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := modname.Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetry)", tc.b, tc.a, got, tc.want)
		}
	}
}

var demo = []string{"arp", "core", "localization-es", "reports", "warehouse"}

func TestSuggest(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"arpp", []string{"arp"}},
		{"cor", []string{"core"}},
		{"reprots", []string{"reports"}},
		{"localisation-es", []string{"localization-es"}},
		{"Core", []string{"core"}},
		{"local", []string{"localization-es"}},
		{"ware", []string{"warehouse"}},
		{"xyz", []string{}},
		{"a", []string{}},
		{"arp", []string{}}, // itself is not a suggestion
	} {
		if got := modname.Suggest(tc.name, demo); !slices.Equal(got, tc.want) {
			t.Errorf("Suggest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := modname.Suggest("ab", []string{"ac", "ab2", "xb", "zz", "ad", "ae"}); !slices.Equal(got, []string{"ab2", "ac", "ad"}) {
		t.Errorf("Suggest keeps the 3 closest in name order, got %q", got)
	}
}

func TestCheck(t *testing.T) {
	k := modname.Known{Installed: []string{"arp", "core", "localization-es", "reports"}, Offered: []string{"arp", "core", "warehouse"}}
	for _, tc := range []struct {
		want  modname.Want
		names []string
		err   string
	}{
		{modname.Installed, []string{"core", "arp"}, ""},
		{modname.Installed, []string{"cor"}, `no installed module is named "cor"; did you mean core?`},
		{modname.Installed, []string{"warehouse"}, `no installed module is named "warehouse"; check the spelling (upkeep installed lists the installed modules, upkeep scan what the repositories offer)`},
		{modname.Offered, []string{"warehose"}, `no subscribed repository offers a module named "warehose"; did you mean warehouse?`},
		{modname.Offered, []string{"warehouse"}, ""},
		{modname.Any, []string{"reports", "warehouse"}, ""},
		{modname.Any, []string{"arpp"}, `no module named "arpp" is installed or offered by the subscribed repositories; did you mean arp?`},
		{modname.Any, []string{"arpp", "reprots"}, `no module named "arpp" is installed or offered by the subscribed repositories; did you mean arp?` + "\n" +
			`no module named "reprots" is installed or offered by the subscribed repositories; did you mean reports?`},
	} {
		err := k.Check(tc.want, tc.names...)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("Check(%v, %q) = %q\nwant %q", tc.want, tc.names, got, tc.err)
		}
	}
	var ue *modname.UnknownError
	if err := k.Check(modname.Any, "arpp"); !errors.As(err, &ue) || ue.Name != "arpp" || !slices.Equal(ue.Suggest, []string{"arp"}) {
		t.Errorf("Check error %#v is not an UnknownError for arpp suggesting arp", err)
	}
}

// TestCheckWithoutTheRepositories: when the repositories could not be
// read, a name they might offer is not refused, but an installed-only
// check still is.
func TestCheckWithoutTheRepositories(t *testing.T) {
	k := modname.Known{Installed: []string{"arp", "core"}}
	if err := k.Check(modname.Offered, "warehouse"); err != nil {
		t.Errorf("Offered without the repositories: %v", err)
	}
	if err := k.Check(modname.Any, "warehouse"); err != nil {
		t.Errorf("Any without the repositories: %v", err)
	}
	if err := k.Check(modname.Installed, "arpp"); err == nil {
		t.Error("Installed accepted arpp")
	}
}

func FuzzDistance(f *testing.F) {
	f.Add("arpp", "arp")
	f.Add("", "x")
	f.Add("reprots", "reports")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := modname.Distance(a, b)
		ra, rb := []rune(a), []rune(b)
		if d != modname.Distance(b, a) || d < 0 || d > max(len(ra), len(rb)) || (d == 0) != (string(ra) == string(rb)) {
			t.Errorf("Distance(%q, %q) = %d", a, b, d)
		}
	})
}

func TestCheckAllNamesEachOnce(t *testing.T) {
	k := modname.Known{Installed: []string{"core", "arp"}, Offered: []string{"core", "arp", "warehouse"}}
	ok := []modname.Named{{modname.Offered, "warehouse"}, {modname.Installed, "arp"}, {modname.Any, "core"}}
	if err := k.CheckAll(ok...); err != nil || !k.Fits(ok...) {
		t.Errorf("CheckAll(%v) = %v", ok, err)
	}
	bad := []modname.Named{{modname.Installed, "warehouse"}, {modname.Any, "kore"}, {modname.Installed, "kore"}}
	err := k.CheckAll(bad...)
	want := `no installed module is named "warehouse"; check the spelling (upkeep installed lists the installed modules, upkeep scan what the repositories offer)` +
		"\n" + `no module named "kore" is installed or offered by the subscribed repositories; did you mean core?`
	if err == nil || err.Error() != want || k.Fits(bad...) {
		t.Errorf("CheckAll(%v) = %v, want\n%s", bad, err, want)
	}
}
