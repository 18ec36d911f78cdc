package backend

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/modname"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

// ModuleState implements api.Backend: it plans the disable or the enable
// from the ERP's state now and, given that plan's hash, runs it with the
// apply runner (journal, backup, read-back, restore on failure); the
// runner plans again the same way in its preflight.
func (b *Backend) ModuleState(ctx context.Context, req api.ModuleStateRequest, by api.Caller) (*api.ModuleStateAnswer, error) {
	if t := b.runs.current(); t != nil {
		return nil, busy(t)
	}
	h, err := b.host(req.Action + " modules through the service")
	if err != nil {
		return nil, err
	}
	r, err := b.runner(h)
	if err != nil {
		return nil, b.cannotChange(err)
	}
	plan, deps, err := b.statePlan(ctx, r.Writer, req)
	if err != nil {
		return nil, err
	}
	ans := &api.ModuleStateAnswer{Plan: *plan, Dependents: deps}
	if req.PlanHash == "" {
		return ans, nil
	}
	if plan.Hash != req.PlanHash {
		return nil, &api.ConflictError{Code: api.CodePlanChanged,
			Message: fmt.Sprintf("the ERP's modules changed since you reviewed the %s (you saw plan %s, now it is %s): run the command again", req.Action, short(req.PlanHash), short(plan.Hash))}
	}
	rescan := func(ctx context.Context) (*scan.Plan, error) {
		p, _, err := b.statePlan(ctx, r.Writer, req)
		return p, err
	}
	t, err := b.start(ctx, store.KindApply, startRequest{plan: plan, by: by.Who(), record: true, rescan: rescan}, r,
		func(ctx context.Context, t *tracked) (*apply.Result, error) { return r.Apply(ctx, t.plan) })
	if err != nil {
		return nil, err
	}
	if ans.Run, err = b.Run(ctx, idString(t.ID(&b.runs))); err != nil {
		return nil, err
	}
	return ans, nil
}

// statePlan reads the ERP's modules and plans req; the dependents are the
// installed modules that a disable takes with the named ones.
func (b *Backend) statePlan(ctx context.Context, w erp.Writer, req api.ModuleStateRequest) (*scan.Plan, []string, error) {
	mods, err := w.Installed(ctx)
	if err != nil {
		return nil, nil, &api.ScanError{Code: api.CodeERP, Message: fmt.Sprintf("read the installed modules (%s): %v", w.Kind(), err)}
	}
	if req.Action == api.ActionDisable {
		return disablePlan(w, mods, req)
	}
	led, err := b.o.Store.LedgerDisabled(ctx)
	if err != nil {
		return nil, nil, err
	}
	disabled, err := w.Disabled(ctx, req.Modules)
	if err != nil {
		return nil, nil, &api.ScanError{Code: api.CodeERP, Message: fmt.Sprintf("read the disabled modules (%s): %v", w.Kind(), err)}
	}
	plan, err := EnablePlan(mods, disabled, led, req.Modules)
	return plan, nil, err
}

func disablePlan(w erp.Writer, mods []erp.Module, req api.ModuleStateRequest) (*scan.Plan, []string, error) {
	if can, why := w.CanDisable(); !can {
		return nil, nil, &api.BadRequestError{Message: "this ERP cannot disable modules: " + why}
	}
	plan, deps, err := DisablePlan(mods, req.Modules, req.WithDependents)
	return plan, deps, err
}

// DisablePlan plans disabling names (installed, not the core) and, with
// withDeps, every installed module that depends on one of them, directly
// or not; without withDeps such dependents are a BadRequestError naming
// them.
func DisablePlan(mods []erp.Module, names []string, withDeps bool) (*scan.Plan, []string, error) {
	byName := map[string]erp.Module{}
	for _, m := range mods {
		byName[m.Name] = m
	}
	known := modname.Known{Installed: slices.Sorted(maps.Keys(byName))}
	if err := known.Check(modname.Installed, names...); err != nil {
		return nil, nil, &api.BadRequestError{Message: err.Error()}
	}
	for _, n := range names {
		if byName[n].Core {
			return nil, nil, &api.BadRequestError{Message: fmt.Sprintf("%s is the ERP's core: every other module needs it, so it cannot be disabled", n)}
		}
	}
	deps := Dependents(mods, names)
	if len(deps) > 0 && !withDeps {
		return nil, deps, &api.BadRequestError{Message: fmt.Sprintf("installed modules depend on %s: %s; disable them too with --with-dependents, or keep %s",
			strings.Join(names, ", "), strings.Join(deps, ", "), strings.Join(names, ", "))}
	}
	var dis []scan.Disable
	for _, n := range names {
		dis = append(dis, scan.Disable{Module: n, Version: byName[n].Version, Reason: "asked for"})
	}
	for _, n := range deps {
		dis = append(dis, scan.Disable{Module: n, Version: byName[n].Version, Reason: "depends on a module disabled with it"})
	}
	return scan.StatePlan(dis, nil), deps, nil
}

// Dependents are the installed modules outside names that depend on one of
// them, directly or through others, sorted.
func Dependents(mods []erp.Module, names []string) []string {
	gone := map[string]bool{}
	for _, n := range names {
		gone[n] = true
	}
	var out []string
	for grew := true; grew; {
		grew = false
		for _, m := range mods {
			if !gone[m.Name] && slices.ContainsFunc(m.Depends, func(d string) bool { return gone[d] }) {
				gone[m.Name], grew = true, true
				out = append(out, m.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// EnablePlan plans enabling names: each must be disabled in the ERP
// (disabled) and known to the ledger with the version Upkeep disabled
// (ledger), which the read-back then expects.
func EnablePlan(mods []erp.Module, disabled []string, ledger map[string]string, names []string) (*scan.Plan, error) {
	var en []scan.Disable
	for _, n := range names {
		if slices.ContainsFunc(mods, func(m erp.Module) bool { return m.Name == n }) {
			return nil, &api.BadRequestError{Message: fmt.Sprintf("%s is installed, not disabled: there is nothing to enable", n)}
		}
		v, err := catalog.ParseVersion(ledger[n])
		if !slices.Contains(disabled, n) || err != nil {
			msg := fmt.Sprintf("no module named %q is disabled by Upkeep", n)
			if s := modname.Suggest(n, slices.Sorted(maps.Keys(ledger))); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			} else {
				msg += "; upkeep installed lists the disabled modules (a module disabled by hand is enabled in the ERP)"
			}
			return nil, &api.BadRequestError{Message: msg}
		}
		en = append(en, scan.Disable{Module: n, Version: v, Reason: "asked for"})
	}
	return scan.StatePlan(nil, en), nil
}
