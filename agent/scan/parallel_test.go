package scan

import (
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestParallelSameReport checks that spreading a scan over workers changes
// nothing in the report: demo, table cases and random worlds, scanned once
// inline and once on several workers, give the same JSON.
func TestParallelSameReport(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	defer func(g int) { parallelGrain = g }(parallelGrain)
	scanBoth := func(t *testing.T, x *Index, installed []Installed, pol Policy) {
		t.Helper()
		parallelGrain = 1 << 30
		seq, err := json.Marshal(mustScan(t, x, installed, pol))
		if err != nil {
			t.Fatal(err)
		}
		parallelGrain = 1
		par, err := json.Marshal(mustScan(t, x, installed, pol))
		if err != nil {
			t.Fatal(err)
		}
		if string(seq) != string(par) {
			t.Fatalf("the parallel report differs:\n%s\n%s", seq, par)
		}
	}
	x, err := NewIndex(demoListings(t))
	if err != nil {
		t.Fatal(err)
	}
	scanBoth(t, x, demoInstalled(), Policy{Install: []string{"warehouse"}})
	for _, tc := range scanCases(t) {
		scanBoth(t, index(t, tc.rels, tc.noDU...), tc.installed, tc.pol)
	}
	for seed := uint64(1); seed <= 300; seed++ {
		w := randomWorld(rand.New(rand.NewPCG(seed, 5)), profiles[seed%uint64(len(profiles))])
		x, err := NewIndex(w.listings())
		if err != nil {
			t.Fatal(err)
		}
		scanBoth(t, x, w.installedList(), w.pol)
	}
}
