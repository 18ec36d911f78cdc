package scan

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/catalog/synth"
)

// benchInput is the benchmark: the synthetic catalog of 20,000
// modules and 200,000 versions in three series repositories plus a private
// one, and an instance of 400 modules on core 2.50.10, 30 blocked.
type benchInput struct {
	listings  []*catalog.Listing
	set       *Listings // the listings in compact form, as the agent holds them
	installed []Installed
	policy    Policy
}

var benchOnce = sync.OnceValue(func() benchInput {
	cat := synth.Generate(synth.Default())
	inst := synth.NewInstance(cat, synth.DefaultInstance())
	ls := synth.Listings(cat, synth.SeriesOf)
	ls = append(ls, synth.Listings(inst.Private, func(*catalog.Manifest) string { return synth.PrivateRepository })...)
	in := benchInput{listings: ls, set: &Listings{}, policy: Policy{Holds: map[string]string{}}}
	for _, l := range ls {
		if err := in.set.Add(l); err != nil {
			panic(err)
		}
	}
	for _, m := range inst.Installed {
		in.installed = append(in.installed, Installed{Module: m.Name, Version: m.Version, Core: m.Core, Source: "erp"})
	}
	for _, h := range inst.Holds {
		in.policy.Holds[h] = "benchmark hold"
	}
	return in
})

// BenchmarkScan times a full scan (index, classification, not applicable
// versions with blockers and smallest disable sets) from the listings in
// memory, in the compact form the agent keeps them in.
func BenchmarkScan(b *testing.B) {
	in := benchOnce()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(in.set.Index(), in.installed, in.policy); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchInstance checks the benchmark instance is what it claims: 400
// modules, 30 blocked on purpose (pinned with minor enforcement, needing a
// newer core than a pinned core allows, held), on top of the blocks the
// synthetic catalog makes by itself.
func TestBenchInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the 200,000-version catalog")
	}
	in := benchOnce()
	idx, err := NewIndex(in.listings)
	if err != nil {
		t.Fatal(err)
	}
	r := mustScan(t, idx, in.installed, in.policy)
	t.Logf("installed %d; patches %d, updates %d, upgrades %d, notices %d, not applicable %d, held %d, target %d, warnings %d",
		len(r.Installed), len(r.Patches), len(r.Updates), len(r.Upgrades), len(r.UpgradeNotices), len(r.NotApplicable), len(r.Held), len(r.Target), len(r.Warnings))
	inst := synth.NewInstance(synth.Generate(synth.Default()), synth.DefaultInstance())
	if len(r.Installed) != 400 || len(r.Held) != 10 || len(inst.Pinned) != 10 || len(inst.NeedCore) != 10 {
		t.Fatalf("instance: %d installed, %d held, %d pinned, %d needing core", len(r.Installed), len(r.Held), len(inst.Pinned), len(inst.NeedCore))
	}
	for i, m := range inst.Pinned {
		if !blockedBy(r, m, fmt.Sprintf("acme-pin-%d", i+1)) {
			t.Errorf("%s: no version is blocked by acme-pin-%d", m, i+1)
		}
	}
	for _, m := range inst.NeedCore {
		if !blockedBy(r, m, "") {
			t.Errorf("%s: its private patch is not blocked", m)
		}
	}
	if c := findCandidate(r.NotApplicable, "core", "2.50.11"); c == nil || !hasText(c.Why.Reasons, "blocked by: acme-legacy 1.0.0") {
		t.Errorf("core 2.50.11 is not blocked by acme-legacy: %+v", c)
	}
	if c := findCandidate(r.NotApplicable, "core", "3.0.0"); c == nil || !*c.Why.Resolvable || !c.Why.DisableMinimal || len(c.Why.Disable) < 100 {
		t.Errorf("core 3.0.0 should need a large, proven smallest disable set: %+v", c)
	}
	defer func(g int) { parallelGrain = g }(parallelGrain)
	parallelGrain = 1 << 30
	seq := mustScan(t, idx, in.installed, in.policy)
	a, _ := json.Marshal(r)
	b, _ := json.Marshal(seq)
	if string(a) != string(b) {
		t.Error("the benchmark report differs between the parallel and the inline scan")
	}
}

// blockedBy reports whether some version of module is not applicable,
// blocked by blocker (or, with blocker "", needing a newer core).
func blockedBy(r *Report, module, blocker string) bool {
	for _, c := range r.NotApplicable {
		if c.Module != module {
			continue
		}
		for _, b := range c.Why.Blockers {
			if b.Module == blocker {
				return true
			}
		}
		if blocker == "" && hasText(c.Why.Reasons, "needs core>=2.50.25 — installed: core 2.50.10") {
			return true
		}
	}
	return false
}

// BenchmarkNewIndex times indexing decoded catalog.Listing values, which
// NewIndex copies into the compact form.
func BenchmarkNewIndex(b *testing.B) {
	in := benchOnce()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewIndex(in.listings); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanOnly times Scan over an index built once.
func BenchmarkScanOnly(b *testing.B) {
	in := benchOnce()
	idx := in.set.Index()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(idx, in.installed, in.policy); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMergeInstalled times what a scan's index does first: merging the
// installed modules' listings out of the compact form.
func BenchmarkMergeInstalled(b *testing.B) {
	in := benchOnce()
	b.ReportAllocs()
	for b.Loop() {
		idx := in.set.Index()
		for _, m := range in.installed {
			idx.module(m.Module)
		}
	}
}
