package scan

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

// byteSource hands out small numbers from fuzz input, zero when it runs out.
type byteSource struct {
	data []byte
	i    int
}

func (b *byteSource) next(n int) int {
	if b.i >= len(b.data) || n <= 0 {
		return 0
	}
	v := int(b.data[b.i]) % n
	b.i++
	return v
}

// fuzzWorld decodes a small catalog, instance and policy from data; any
// input gives one, valid or not (Scan may refuse it with an error).
func fuzzWorld(data []byte) ([]*catalog.Listing, []Installed, Policy, PlanOptions) {
	src := &byteSource{data: data}
	n := 2 + src.next(5)
	var ls []*catalog.Listing
	var installed []Installed
	pol := Policy{Holds: map[string]string{}, DefaultUpgrade: map[string]Override{}, MinUpdate: catalog.Maturity(src.next(6))}
	name := func(i int) string { return fmt.Sprintf("m%d", i) }
	for i := 0; i < n; i++ {
		l := &catalog.Listing{Schema: 1, Repository: []string{"a", "b"}[src.next(2)], Module: name(i), DefaultUpgrade: src.next(2) == 0}
		for v := 0; v < 1+src.next(5); v++ {
			r := catalog.Release{Version: catalog.MustParseVersion(fmt.Sprintf("%d.%d.%d", 1+v/3, v%3, src.next(3))), Maturity: catalog.Maturity(src.next(5)),
				Patch: src.next(2) == 0, Archive: fakeArchive(name(i), fmt.Sprint(v))}
			if src.next(4) == 0 {
				u := catalog.MustParseVersion(fmt.Sprintf("1.%d", src.next(3)))
				r.UpgradeFrom = &u
			}
			for d := src.next(3); d > 0; d-- {
				r.Depends = append(r.Depends, catalog.Dependency{Module: name(src.next(n + 1)), First: catalog.MustParseVersion(fmt.Sprintf("1.%d", src.next(3))),
					Enforcement: catalog.Enforcement(src.next(3)), UserEditable: src.next(2) == 0})
			}
			r.Scripts = []catalog.Script{{Phase: "pre", Path: "s.sql", To: r.Version}}
			l.Versions = append(l.Versions, r)
		}
		ls = append(ls, l)
		if src.next(4) != 0 {
			installed = append(installed, Installed{Module: name(i), Version: l.Versions[src.next(len(l.Versions))].Version, Core: i == 0})
		}
		switch src.next(8) {
		case 0:
			pol.Holds[name(i)] = "fuzz"
		case 1:
			pol.DefaultUpgrade[name(i)] = Override(src.next(3))
		case 2:
			pol.Upgrades = append(pol.Upgrades, name(i))
		case 3:
			pol.Install = append(pol.Install, name(i))
		case 4:
			pol.Relax = append(pol.Relax, Relaxation{Module: name(i), Dependency: name(src.next(n)), Enforcement: catalog.Enforcement(src.next(3))})
		}
	}
	opts := PlanOptions{DisableBlockers: src.next(2) == 0}
	if src.next(2) == 0 && len(installed) > 0 {
		opts.IncludeUpgrades = []string{installed[src.next(len(installed))].Module}
	}
	return ls, installed, pol, opts
}

// FuzzScan checks that no input makes Scan or Plan panic, and that every
// report encodes as JSON.
func FuzzScan(f *testing.F) {
	for _, seed := range []string{"", "\x00", "\x05\x01\x02\x03\x04\x05\x06\x07\x08\x09", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4",
		"\x04\x00\x04\x02\x01\x00\x01\x02\x00\x01\x01\x02\x00\x03\x01\x00\x02\x01\x01\x00\x02\x00\x01\x03\x02\x01\x00\x00\x01\x02\x00\x03"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, installed, pol, opts := fuzzWorld(data)
		x, err := NewIndex(ls)
		if err != nil {
			return
		}
		r, err := Scan(x, installed, pol)
		if err != nil {
			return
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("report does not encode: %v", err)
		}
		if _, err := r.Plan(opts); err != nil && r.in == nil {
			t.Fatalf("plan: %v", err)
		}
	})
}
