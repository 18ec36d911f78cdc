package synth

import (
	"reflect"
	"testing"
)

// TestEachIsGenerate checks that Each hands out Generate's catalog, module
// by module, and that an instance needs only each module's first release.
func TestEachIsGenerate(t *testing.T) {
	cfg := Config{Modules: 300, VersionsPerModule: 12, Seed: 4}
	all := Generate(cfg)
	var each, firsts []Release
	Each(cfg, func(rels []Release) {
		each = append(each, rels...)
		if rels[0].Manifest.Core {
			firsts = append(firsts, rels...)
		} else {
			firsts = append(firsts, rels[0])
		}
	})
	if !reflect.DeepEqual(all, each) {
		t.Fatal("Each differs from Generate")
	}
	if len(all) != 60+300*12 {
		t.Fatalf("%d releases, want %d", len(all), 60+300*12)
	}
	icfg := InstanceConfig{Modules: 60, Blocked: 9, Seed: 2}
	if a, b := NewInstance(all, icfg), NewInstance(firsts, icfg); !reflect.DeepEqual(a, b) {
		t.Fatal("the instance differs when given only each module's first release")
	}
}
