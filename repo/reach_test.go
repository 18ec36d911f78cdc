package repo

import (
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

func TestReach(t *testing.T) {
	v := catalog.MustParseVersion
	pub := map[string][]placed{
		"core": {
			{v("2.50.20"), map[string]bool{"2.50": true}},
			{v("3.0.0"), map[string]bool{"3.0": true}},
		},
		"arp": {
			{v("1.4.0"), map[string]bool{"2.50": true}},
			{v("2.0.0"), map[string]bool{"3.0": true}},
		},
	}
	of := func(m string) []placed { return pub[m] }
	series := []string{"2.50", "3.0"}
	cases := []struct {
		name string
		core bool
		ver  string
		deps []string
		want string
	}{
		{"core belongs to its series", true, "3.1.0", nil, "3.1"},
		{"no dependencies: everywhere", false, "1.0.0", nil, "2.50,3.0"},
		{"core 2.50 only", false, "1.0.0", []string{"core>=2.50.0"}, "2.50"},
		{"core 3.0 only", false, "1.0.0", []string{"core>=3.0.0"}, "3.0"},
		{"both series", false, "1.0.0", []string{"core>=2.50.0,<3.1"}, "2.50,3.0"},
		{"through arp 2", false, "1.0.0", []string{"arp>=2.0.0"}, "3.0"},
		{"through any arp", false, "1.0.0", []string{"arp>=1.0.0 none"}, "2.50,3.0"},
		{"conflict", false, "1.0.0", []string{"arp>=2.0.0", "core>=2.50.0"}, ""},
		{"unmet", false, "1.0.0", []string{"core>=9.0.0"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var deps []catalog.Dependency
			for _, d := range tc.deps {
				dep, err := catalog.ParseDependency(d)
				if err != nil {
					t.Fatal(err)
				}
				deps = append(deps, dep)
			}
			got := strings.Join(sortedKeys(reach(tc.core, v(tc.ver), deps, of, series)), ",")
			if got != tc.want {
				t.Errorf("reach = %q, want %q", got, tc.want)
			}
		})
	}
}
