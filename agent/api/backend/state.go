package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Overrides lists the default-upgrade overrides and the relaxations.
func (b *Backend) Overrides(ctx context.Context) (*api.Overrides, error) {
	ovr, err := b.o.Store.DefaultUpgradeOverrides(ctx)
	if err != nil {
		return nil, err
	}
	out := &api.Overrides{DefaultUpgrade: map[string]string{}, Relaxations: []api.Relaxation{}}
	for m, on := range ovr {
		out.DefaultUpgrade[m] = map[bool]string{true: "true", false: "false"}[on]
	}
	rel, err := b.o.Store.Relaxations(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rel {
		out.Relaxations = append(out.Relaxations, api.Relaxation(r))
	}
	return out, nil
}

// SetOverrides checks every change, then makes them.
func (b *Backend) SetOverrides(ctx context.Context, ch api.OverridesChange, by api.Caller) (*api.Overrides, error) {
	flags, err := parseOverrides(ch.DefaultUpgrade)
	if err != nil {
		return nil, err
	}
	relax, err := parseRelaxations(ch.Relax)
	if err != nil {
		return nil, err
	}
	for _, m := range sortedKeys(flags) {
		if err := b.o.Store.SetDefaultUpgrade(ctx, m, flags[m], by.User); err != nil {
			return nil, err
		}
	}
	for _, r := range relax {
		if err := b.applyRelaxation(ctx, r, by.User); err != nil {
			return nil, err
		}
	}
	return b.Overrides(ctx)
}

type relaxation struct {
	module, dep string
	e           catalog.Enforcement
	inherit     bool
}

func (b *Backend) applyRelaxation(ctx context.Context, r relaxation, by string) error {
	if r.inherit {
		return b.o.Store.Unrelax(ctx, r.module, r.dep)
	}
	return b.o.Store.Relax(ctx, r.module, r.dep, r.e, by)
}

func parseOverrides(in map[string]string) (map[string]store.Override, error) {
	out := map[string]store.Override{}
	for m, v := range in {
		if err := catalog.ValidateModuleName(m); err != nil {
			return nil, &api.BadRequestError{Message: fmt.Sprintf("default_upgrade: %v", err)}
		}
		o, err := store.ParseOverride(v)
		if err != nil {
			return nil, &api.BadRequestError{Message: fmt.Sprintf("default_upgrade.%s: %v", m, err)}
		}
		out[m] = o
	}
	return out, nil
}

func parseRelaxations(in []api.Relaxation) ([]relaxation, error) {
	out := make([]relaxation, 0, len(in))
	for i, r := range in {
		for _, n := range []string{r.Module, r.Dependency} {
			if err := catalog.ValidateModuleName(n); err != nil {
				return nil, &api.BadRequestError{Message: fmt.Sprintf("relax[%d]: %v", i, err)}
			}
		}
		x := relaxation{module: r.Module, dep: r.Dependency, inherit: strings.EqualFold(r.Enforcement, "inherit")}
		if !x.inherit {
			e, err := catalog.ParseEnforcement(r.Enforcement)
			if err != nil {
				return nil, &api.BadRequestError{Message: fmt.Sprintf("relax[%d].enforcement: %v (or say inherit)", i, err)}
			}
			x.e = e
		}
		out = append(out, x)
	}
	return out, nil
}

// Holds lists the held modules.
func (b *Backend) Holds(ctx context.Context) ([]api.Hold, error) {
	hs, err := b.o.Store.Holds(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]api.Hold, len(hs))
	for i, h := range hs {
		out[i] = api.Hold(h)
	}
	return out, nil
}

// SetHolds checks every change (a module to release must be held), then
// makes them.
func (b *Backend) SetHolds(ctx context.Context, ch api.HoldsChange, by api.Caller) ([]api.Hold, error) {
	held, err := b.Holds(ctx)
	if err != nil {
		return nil, err
	}
	isHeld := map[string]bool{}
	for _, h := range held {
		isHeld[h.Module] = true
	}
	for i, h := range ch.Hold {
		if err := catalog.ValidateModuleName(h.Module); err != nil {
			return nil, &api.BadRequestError{Message: fmt.Sprintf("hold[%d]: %v", i, err)}
		}
		isHeld[h.Module] = true
	}
	for _, m := range ch.Unhold {
		if !isHeld[m] {
			return nil, &api.NotFoundError{Message: fmt.Sprintf("unhold %s: it is not held (GET /v1/holds lists the holds)", m)}
		}
	}
	for _, h := range ch.Hold {
		if err := b.o.Store.Hold(ctx, h.Module, h.Reason, by.User); err != nil {
			return nil, err
		}
	}
	for _, m := range ch.Unhold {
		if err := b.o.Store.Unhold(ctx, m); err != nil && !errors.Is(err, store.ErrNotHeld) {
			return nil, err
		}
	}
	return b.Holds(ctx)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
