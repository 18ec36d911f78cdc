// Package erptest is the conformance suite every ERP adapter passes.
package erptest

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
)

// Fixture is an adapter under test, set up on a real ERP instance.
type Fixture struct {
	Reader erp.Reader
	// Want maps module name to the version the instance is known to have
	// installed (a subset is fine, but it must include the core).
	Want map[string]string
	// Broken returns a Reader on the same kind of ERP whose database cannot
	// be read (missing file, wrong name, refused connection).
	Broken func(t *testing.T) erp.Reader
}

// Run checks an adapter against the contract of erp.Reader.
func Run(t *testing.T, setup func(t *testing.T) Fixture) {
	t.Run("InstalledListsCoreAndVersions", func(t *testing.T) {
		f := setup(t)
		mods := installed(t, f.Reader)
		core, err := erp.Core(mods)
		if err != nil {
			t.Fatalf("%s: %v", f.Reader.Kind(), err)
		}
		if _, ok := f.Want[core.Name]; !ok {
			t.Errorf("core is %s, which the fixture does not expect", core.Name)
		}
		got := map[string]string{}
		for _, m := range mods {
			got[m.Name] = m.Version.String()
			if m.Version.IsZero() {
				t.Errorf("%s has no version", m.Name)
			}
		}
		for name, v := range f.Want {
			if got[name] != v {
				t.Errorf("%s installed at %q, want %q", name, got[name], v)
			}
		}
	})
	t.Run("SortedAndStable", func(t *testing.T) {
		f := setup(t)
		a, b := installed(t, f.Reader), installed(t, f.Reader)
		if !sort.SliceIsSorted(a, func(i, j int) bool { return a[i].Name < a[j].Name }) {
			t.Error("Installed is not sorted by name")
		}
		if len(a) != len(b) {
			t.Errorf("two reads differ: %d then %d modules", len(a), len(b))
		}
	})
	t.Run("UnreadableDatabaseIsAnError", func(t *testing.T) {
		f := setup(t)
		if f.Broken == nil {
			t.Skip("the fixture has no broken variant")
		}
		_, err := f.Broken(t).Installed(ctxT(t))
		if err == nil {
			t.Fatal("Installed on an unreadable database succeeded")
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Installed on an unreadable database hung until the deadline: %v", err)
		}
	})
}

func installed(t *testing.T, r erp.Reader) []erp.Module {
	t.Helper()
	mods, err := r.Installed(ctxT(t))
	if err != nil {
		t.Fatalf("%s Installed: %v", r.Kind(), err)
	}
	return mods
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
