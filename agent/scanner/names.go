package scanner

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/agent/modname"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

// CheckNames refuses the module names an admin typed that are not what
// they must be on this instance (an error of agent/modname's types, with
// the closest names). Known names are the installed modules read through
// r, the modules the subscribed and private repositories list, and those
// the agent's state names (holds, overrides, relaxations, disabled
// modules). When a repository cannot be read, names are not refused for
// being absent from it.
func CheckNames(ctx context.Context, c *config.Config, st *store.Store, r erp.Reader, names ...modname.Named) error {
	if len(names) == 0 {
		return nil
	}
	mods, err := r.Installed(ctx)
	if err != nil {
		return withClass(ErrERP, err)
	}
	core, err := erp.Core(mods)
	if err != nil {
		return withClass(ErrERP, err)
	}
	return newSession(c).checkNames(ctx, st, mods, core.Version.Series(), names)
}

// checkRequest refuses a request that names modules unknown here: modules
// to install must be offered, modules whose upgrades to include installed.
func (s *session) checkRequest(ctx context.Context, st *store.Store, mods []erp.Module, core catalog.Series, req Request) error {
	var names []modname.Named
	for _, n := range req.Install {
		names = append(names, modname.Named{Want: modname.Offered, Name: n})
	}
	for _, n := range req.IncludeUpgrades {
		names = append(names, modname.Named{Want: modname.Installed, Name: n})
	}
	if len(names) == 0 {
		return nil
	}
	return s.checkNames(ctx, st, mods, core, names)
}

// checkNames checks names cheaply first (the listings of those names
// alone); only when one is unknown are all the repositories' modules
// read, to suggest the closest.
func (s *session) checkNames(ctx context.Context, st *store.Store, mods []erp.Module, core catalog.Series, names []modname.Named) error {
	others, err := stateNames(ctx, st)
	if err != nil {
		return err
	}
	typed := make([]string, len(names))
	for i, n := range names {
		typed[i] = n.Name
	}
	k := modname.Known{Installed: moduleNames(mods), Others: others, Offered: s.listed(ctx, core, typed)}
	if k.Offered != nil && !k.Fits(names...) {
		if all := s.offered(ctx, core); all != nil {
			k.Offered = all
		}
	}
	return k.CheckAll(names...)
}

// each calls f with the client of every subscribed and private repository
// and stops at its first error.
func (s *session) each(ctx context.Context, core catalog.Series, f func(*fetch.Client) error) error {
	subs, err := s.subscriptions(ctx, core)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		cl, err := s.series(ctx, sub)
		if err != nil {
			return err
		}
		if err := f(cl); err != nil {
			return err
		}
	}
	for _, p := range s.c.Repository.Private {
		cl, _, err := s.private(ctx, p)
		if err != nil {
			return err
		}
		if err := f(cl); err != nil {
			return err
		}
	}
	return nil
}

// listed are the names some repository lists, or nil when one of them
// cannot be read (the scan then says why).
func (s *session) listed(ctx context.Context, core catalog.Series, names []string) []string {
	out := []string{}
	err := s.each(ctx, core, func(cl *fetch.Client) error {
		for _, n := range names {
			if slices.Contains(out, n) || catalog.ValidateModuleName(n) != nil {
				continue
			}
			_, err := cl.Listing(ctx, n)
			switch {
			case err == nil:
				out = append(out, n)
			case !errors.Is(err, fetch.ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil
	}
	return out
}

// offered are the modules every repository lists, or nil when one of them
// cannot be read.
func (s *session) offered(ctx context.Context, core catalog.Series) []string {
	var out []string
	err := s.each(ctx, core, func(cl *fetch.Client) error {
		names, err := cl.Modules(ctx)
		out = append(out, names...)
		return err
	})
	if err != nil {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// stateNames are the modules the agent's state names.
func stateNames(ctx context.Context, st *store.Store) ([]string, error) {
	set := map[string]bool{}
	holds, err := st.Holds(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range holds {
		set[h.Module] = true
	}
	ovr, err := st.DefaultUpgradeOverrides(ctx)
	if err != nil {
		return nil, err
	}
	for m := range ovr {
		set[m] = true
	}
	rel, err := st.Relaxations(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rel {
		set[r.Module], set[r.Dependency] = true, true
	}
	dis, err := st.LedgerDisabled(ctx)
	if err != nil {
		return nil, err
	}
	for m := range dis {
		set[m] = true
	}
	return slices.Sorted(maps.Keys(set)), nil
}
