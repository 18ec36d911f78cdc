package repo_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

func sampleManifests(t *testing.T) []*catalog.Manifest {
	t.Helper()
	var ms []*catalog.Manifest
	for _, m := range sample.Catalog() {
		pm, err := catalog.ParseManifest([]byte(m.Manifest()))
		if err != nil {
			t.Fatalf("%s %s: %v", m.Name, m.Version, err)
		}
		ms = append(ms, pm)
	}
	return ms
}

func names(ms []*catalog.Manifest, order []int) string {
	var out []string
	for _, i := range order {
		out = append(out, ms[i].Name+" "+ms[i].Version.String())
	}
	return strings.Join(out, ", ")
}

func TestPublishOrder(t *testing.T) {
	all := sampleManifests(t)
	byName := map[string]*catalog.Manifest{}
	for _, m := range all {
		byName[m.Name+" "+m.Version.String()] = m
	}
	pick := func(keys ...string) []*catalog.Manifest {
		var out []*catalog.Manifest
		for _, k := range keys {
			out = append(out, byName[k])
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []*catalog.Manifest
		want string
	}{
		{"alphabetical (a shell glob)", pick("arp 1.3.0", "core 2.50.20", "localization-es 1.2.0", "reports 0.9.0"),
			"core 2.50.20, arp 1.3.0, localization-es 1.2.0, reports 0.9.0"},
		{"versions of one module ascending", pick("core 3.0.0", "core 2.50.22", "core 2.50.20"), "core 2.50.20, core 2.50.22, core 3.0.0"},
		{"already in order", all, names(all, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})},
		{"nothing to order", pick("reports 0.9.0", "arp 1.3.0"), "reports 0.9.0, arp 1.3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(tc.in, repo.PublishOrder(tc.in)); got != tc.want {
				t.Errorf("PublishOrder = %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestPublishOrderDependenciesFirst: whatever the order given, every
// version comes after the batch's versions it depends on and the cores.
func TestPublishOrderDependenciesFirst(t *testing.T) {
	all := sampleManifests(t)
	dep := mustManifest(t, "name = \"arp-reports\"\nversion = \"1.0.0\"\nmaturity = \"beta\"\ndepends = [\"arp>=1.3.0\", \"reports>=0.9.0\"]\n")
	all = append(all, dep)
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		in := slices.Clone(all)
		r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		order := repo.PublishOrder(in)
		seen := map[string]bool{}
		cores := true
		for _, i := range order {
			m := in[i]
			if m.Core && !cores {
				t.Fatalf("a core after another module: %s", names(in, order))
			}
			cores = m.Core
			for _, d := range m.Depends {
				if !seen[d.Module] {
					t.Fatalf("%s before %s: %s", m.Name, d.Module, names(in, order))
				}
			}
			seen[m.Name] = true
		}
		if len(order) != len(in) {
			t.Fatalf("order has %d entries for %d", len(order), len(in))
		}
	}
}

func TestPublishOrderCycleKeepsTheRest(t *testing.T) {
	a := mustManifest(t, "name = \"a\"\nversion = \"1.0.0\"\nmaturity = \"beta\"\ndepends = [\"b>=1.0\"]\n")
	b := mustManifest(t, "name = \"b\"\nversion = \"1.0.0\"\nmaturity = \"beta\"\ndepends = [\"a>=1.0\"]\n")
	c := mustManifest(t, "name = \"c\"\nversion = \"1.0.0\"\nmaturity = \"beta\"\n")
	in := []*catalog.Manifest{a, b, c}
	if got := names(in, repo.PublishOrder(in)); got != "c 1.0.0, a 1.0.0, b 1.0.0" {
		t.Errorf("PublishOrder = %s", got)
	}
}

func mustManifest(t *testing.T, text string) *catalog.Manifest {
	t.Helper()
	m, err := catalog.ParseManifest([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
