package erp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Expected is what the ERP's own records must show after an update or a
// disable: the runner builds it from the plan and the installed set read
// before the change.
type Expected struct {
	// Versions maps each module the change updated or installed to the
	// version it must be at now (on disk and, when the ERP records it, in
	// the database).
	Versions map[string]catalog.Version
	// Disabled are the modules that must be in the ERP's disabled state.
	Disabled []string
	// Kept are the other modules that were installed and must still be.
	Kept []string
}

// ErrNotVerified says the ERP's state, read back after a change, is not
// what the change claims.
var ErrNotVerified = errors.New("the ERP does not show the change")

// Check reads the ERP's state back through w and returns an error (wrapping
// ErrNotVerified) naming every difference from want; it returns what it
// confirmed, one line per module, for the run's log.
func Check(ctx context.Context, w Writer, want Expected) ([]string, error) {
	mods, err := w.Installed(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the installed modules back: %w", err)
	}
	var disabled []string
	if len(want.Disabled) > 0 {
		if disabled, err = w.Disabled(ctx, want.Disabled); err != nil {
			return nil, fmt.Errorf("read the disabled modules back: %w", err)
		}
	}
	ok, diffs := Compare(mods, disabled, want)
	if len(diffs) > 0 {
		return ok, fmt.Errorf("%w: %s", ErrNotVerified, strings.Join(diffs, "; "))
	}
	return ok, nil
}

// Compare is Check's pure part: mods is what the ERP lists as installed,
// disabled those of want.Disabled it holds disabled. It returns the
// confirmed lines and the differences, both sorted by module.
func Compare(mods []Module, disabled []string, want Expected) (ok, diffs []string) {
	got := make(map[string]Module, len(mods))
	for _, m := range mods {
		got[m.Name] = m
	}
	for _, name := range sortedKeys(want.Versions) {
		v := want.Versions[name]
		m, found := got[name]
		switch {
		case !found:
			diffs = append(diffs, fmt.Sprintf("%s is not installed, want %s", name, v))
		case !m.Version.Equal(v):
			diffs = append(diffs, fmt.Sprintf("%s's code is at %s, want %s", name, m.Version, v))
		case !m.DBVersion.IsZero() && !m.DBVersion.Equal(v):
			diffs = append(diffs, fmt.Sprintf("%s's database is at %s, want %s", name, m.DBVersion, v))
		default:
			ok = append(ok, fmt.Sprintf("%s at %s", name, v))
		}
	}
	for _, name := range sorted(want.Disabled) {
		_, installed := got[name]
		switch {
		case installed:
			diffs = append(diffs, fmt.Sprintf("%s is still installed, want it disabled", name))
		case !slices.Contains(disabled, name):
			diffs = append(diffs, fmt.Sprintf("%s is neither installed nor disabled", name))
		default:
			ok = append(ok, name+" disabled")
		}
	}
	for _, name := range sorted(want.Kept) {
		if _, installed := got[name]; !installed {
			diffs = append(diffs, fmt.Sprintf("%s is no longer installed", name))
		}
	}
	if n := len(want.Kept); n > 0 && len(diffs) == 0 {
		ok = append(ok, fmt.Sprintf("%d other modules still installed", n))
	}
	return ok, diffs
}

func sortedKeys(m map[string]catalog.Version) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// DisabledByQuery is how adapters over an ir_module-style table implement
// Disabled: those of names whose row in table has one of states, asked one
// module at a time through query (QueryValue). names must be valid module
// names (catalog.ValidateModuleName), so quoting them is safe.
func DisabledByQuery(ctx context.Context, query func(context.Context, string) (string, error), table string, states, names []string) ([]string, error) {
	quoted := make([]string, len(states))
	for i, s := range states {
		quoted[i] = "'" + s + "'"
	}
	var out []string
	for _, n := range names {
		if err := catalog.ValidateModuleName(n); err != nil {
			return nil, err
		}
		v, err := query(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE name = '%s' AND state IN (%s)", table, n, strings.Join(quoted, ", ")))
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(v) != "0" {
			out = append(out, n)
		}
	}
	return out, nil
}
