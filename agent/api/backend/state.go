package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/modname"
	"github.com/upkeep-erp/upkeep/agent/scanner"
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
	if err := b.checkNames(ctx, overrideNames(flags, relax)...); err != nil {
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
	if err := unheld(ch.Unhold, isHeld); err != nil {
		return nil, err
	}
	var named []modname.Named
	for _, h := range ch.Hold {
		named = append(named, modname.Named{Want: modname.Any, Name: h.Module})
	}
	if err := b.checkNames(ctx, named...); err != nil {
		return nil, err
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

// unheld refuses to release modules that are not held, suggesting the
// held ones of the closest names.
func unheld(names []string, isHeld map[string]bool) error {
	held := sortedKeys(isHeld)
	for _, m := range names {
		if isHeld[m] {
			continue
		}
		msg := fmt.Sprintf("unhold %s: it is not held", m)
		if sug := modname.Suggest(m, held); len(sug) > 0 {
			return &api.BadRequestError{Code: api.CodeUnknownModule, Message: msg + "; did you mean " + strings.Join(sug, " or ") + "?"}
		}
		if len(held) == 0 {
			return &api.BadRequestError{Code: api.CodeUnknownModule, Message: msg + ": no module is held"}
		}
		return &api.BadRequestError{Code: api.CodeUnknownModule, Message: msg + " (held: " + strings.Join(held, ", ") + ")"}
	}
	return nil
}

// overrideNames are the names overrides and relaxations name: any known
// module, but the module of a new relaxation must be installed.
func overrideNames(flags map[string]store.Override, relax []relaxation) []modname.Named {
	var out []modname.Named
	for _, m := range sortedKeys(flags) {
		out = append(out, modname.Named{Want: modname.Any, Name: m})
	}
	for _, r := range relax {
		w := modname.Installed
		if r.inherit {
			w = modname.Any
		}
		out = append(out, modname.Named{Want: w, Name: r.module}, modname.Named{Want: modname.Any, Name: r.dep})
	}
	return out
}

// checkNames refuses names that are not what they must be on this
// instance, with the closest known names. When the ERP cannot be read the
// names are not checked: a hold or an override must stay possible then.
func (b *Backend) checkNames(ctx context.Context, names ...modname.Named) error {
	if len(names) == 0 {
		return nil
	}
	c := b.config()
	r, err := b.openERP(c)
	if err != nil {
		b.o.Log.Warn("module names not checked: the ERP cannot be read", "err", err)
		return nil
	}
	err = scanner.CheckNames(ctx, c, b.o.Store, r, names...)
	if errors.Is(err, scanner.ErrERP) {
		b.o.Log.Warn("module names not checked", "err", err)
		return nil
	}
	return scanFailure(err)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
