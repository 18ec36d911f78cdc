package demoerp

import (
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

// mods builds a code set from "name:dep,dep" specs.
func mods(t *testing.T, specs ...string) code {
	t.Helper()
	out := code{}
	for _, s := range specs {
		name, deps, _ := strings.Cut(s, ":")
		m := &catalog.Manifest{Name: name, Version: catalog.MustParseVersion("1.0.0")}
		for _, d := range strings.Split(deps, ",") {
			if d != "" {
				m.Depends = append(m.Depends, catalog.Dependency{Module: d, First: catalog.MustParseVersion("1.0.0")})
			}
		}
		out[name] = m
	}
	return out
}

func TestOrder(t *testing.T) {
	tests := map[string]struct {
		specs []string
		want  string
	}{
		"dependencies first, ties by name": {[]string{"reports:core", "arp:core", "core", "localization-es:core"}, "core arp localization-es reports"},
		"chain":                            {[]string{"c:b", "b:a", "a"}, "a b c"},
		"diamond":                          {[]string{"d:b,c", "c:a", "b:a", "a"}, "a b c d"},
		"a dependency outside the set":     {[]string{"arp:core", "x:arp"}, "arp x"},
		"independent modules by name":      {[]string{"zeta", "alpha", "mid"}, "alpha mid zeta"},
		"empty":                            {nil, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := order(mods(t, tc.specs...))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("order = %q, want %q", strings.Join(got, " "), tc.want)
			}
		})
	}
}

func TestOrderCycleNamesTheModules(t *testing.T) {
	_, err := order(mods(t, "core", "a:core,b", "b:a", "c:b"))
	if err == nil || !strings.Contains(err.Error(), "a, b, c form a cycle") {
		t.Fatalf("order with a cycle: %v, want the modules a, b, c named", err)
	}
}

func TestDependents(t *testing.T) {
	set := mods(t, "core", "arp:core", "dunning:arp", "reports:core", "solo")
	got := sorted(dependents(set, []string{"arp"}))
	if !slices.Equal(got, []string{"arp", "dunning"}) {
		t.Errorf("dependents(arp) = %v, want [arp dunning]", got)
	}
	got = sorted(dependents(set, []string{"core"}))
	if !slices.Equal(got, []string{"arp", "core", "dunning", "reports"}) {
		t.Errorf("dependents(core) = %v, want every module but solo", got)
	}
}

func TestCheckDeps(t *testing.T) {
	set := code{
		"core": {Name: "core", Version: catalog.MustParseVersion("2.50.20")},
	}
	dep := func(s string) catalog.Dependency {
		d, err := catalog.ParseDependency(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ok := &catalog.Manifest{Name: "arp", Version: catalog.MustParseVersion("1.3.0"), Depends: []catalog.Dependency{dep("core>=2.50.0")}}
	if err := checkDeps("arp", ok, set); err != nil {
		t.Errorf("arp on core 2.50.20: %v", err)
	}
	tooNew := &catalog.Manifest{Name: "arp", Version: catalog.MustParseVersion("2.0.0"), Depends: []catalog.Dependency{dep("core>=3.0.0")}}
	if err := checkDeps("arp", tooNew, set); err == nil || !strings.Contains(err.Error(), "holds core 2.50.20") {
		t.Errorf("arp 2.0.0 on core 2.50.20: %v, want the held version named", err)
	}
	missing := &catalog.Manifest{Name: "x", Version: catalog.MustParseVersion("1.0.0"), Depends: []catalog.Dependency{dep("arp>=1.0.0")}}
	if err := checkDeps("x", missing, set); err == nil || !strings.Contains(err.Error(), "not installed: install arp first") {
		t.Errorf("x without arp: %v, want arp named as not installed", err)
	}
}
