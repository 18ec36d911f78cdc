// Package scanner runs a scan for the agent: it reads the ERP's installed modules, fetches the subscribed repositories' verified listings, applies the instance's policy and saves the report.
package scanner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Errors a caller branches on with errors.Is; the error's own message says
// what failed and what to do.
var (
	ErrERP        = errors.New("the ERP cannot be read")
	ErrRepository = errors.New("the central repository cannot be reached")
	ErrUntrusted  = errors.New("the repository's metadata failed verification")
	ErrConfig     = errors.New("the configuration cannot be used")
)

// classed is an error that also matches one of the errors above.
type classed struct{ class, err error }

func (e *classed) Error() string   { return e.err.Error() }
func (e *classed) Unwrap() []error { return []error{e.err, e.class} }

func withClass(class, err error) error {
	if err == nil {
		return nil
	}
	return &classed{class: class, err: err}
}

// Request is what a scan looks for besides the installed modules' updates,
// and the choices a plan makes on top of it.
type Request struct {
	Install         []string // modules to install
	IncludeUpgrades []string // upgrades to propose although not upgraded by default
	DisableBlockers bool     // plan: disable the installed modules that block a change
	PatchesOnly     bool     // plan: patches of installed modules only (silent applies)
	Modules         []string // plan: these modules' changes alone, with what they need
	UpdateAll       bool     // plan: the last update updates every installed module
}

// PlanOptions are the request's choices as scan.Plan takes them.
func (r Request) PlanOptions() scan.PlanOptions {
	return scan.PlanOptions{IncludeUpgrades: r.IncludeUpgrades, DisableBlockers: r.DisableBlockers, PatchesOnly: r.PatchesOnly,
		Modules: r.Modules, UpdateAll: r.UpdateAll}
}

// Implied returns r with the choices plan implies (its new modules, its
// upgrades, its disables), so that planning again from the same inputs
// gives the same plan, whoever made it.
func (r Request) Implied(plan *scan.Plan) Request {
	out := Request{Install: slices.Clone(r.Install), IncludeUpgrades: slices.Clone(r.IncludeUpgrades),
		DisableBlockers: r.DisableBlockers || len(plan.Disable) > 0, PatchesOnly: r.PatchesOnly, Modules: slices.Clone(r.Modules),
		UpdateAll: r.UpdateAll || plan.UpdateAll}
	for _, ch := range plan.Changes {
		switch {
		case ch.From.IsZero() && !slices.Contains(out.Install, ch.Module):
			out.Install = append(out.Install, ch.Module)
		case !ch.From.IsZero() && ch.Kind == catalog.KindUpgrade && !slices.Contains(out.IncludeUpgrades, ch.Module):
			out.IncludeUpgrades = append(out.IncludeUpgrades, ch.Module)
		}
	}
	return out
}

// Scan reads the installed modules through r, fetches what the subscribed
// repositories (and the private ones) list for them, scans with the
// policy of c and st, and saves the report in st.
func Scan(ctx context.Context, c *config.Config, st *store.Store, r erp.Reader, req Request) (*scan.Report, error) {
	rep, err := Unsaved(ctx, c, st, r, req)
	if err != nil {
		return nil, err
	}
	return rep, save(ctx, st, rep)
}

// Unsaved scans as Scan does without saving the report: for a plan, which
// must not replace the last scan's report.
func Unsaved(ctx context.Context, c *config.Config, st *store.Store, r erp.Reader, req Request) (*scan.Report, error) {
	mods, err := r.Installed(ctx)
	if err != nil {
		return nil, withClass(ErrERP, fmt.Errorf("read the installed modules (%s): %w", r.Kind(), err))
	}
	core, err := erp.Core(mods)
	if err != nil {
		return nil, withClass(ErrERP, err)
	}
	disabled, err := disabledModules(ctx, st, mods)
	if err != nil {
		return nil, err
	}
	s := newSession(c)
	if err := s.checkRequest(ctx, st, mods, core.Version.Series(), req); err != nil {
		return nil, err
	}
	names := append(append(moduleNames(mods), req.Install...), slices.Sorted(maps.Keys(disabled))...)
	idx, err := s.index(ctx, core.Version.Series(), names)
	if err != nil {
		return nil, err
	}
	pol, err := Policy(ctx, c, st, req)
	if err != nil {
		return nil, err
	}
	ledger, err := st.LedgerVersions(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := scan.Scan(idx, Installed(mods, ledger), pol)
	if err != nil {
		return nil, err
	}
	failed, err := failedHere(ctx, st)
	if err != nil {
		return nil, err
	}
	rep.MarkFailedHere(failed)
	return rep, rep.AddDisabled(disabled)
}

// failedHere reads which module versions an apply on this instance tried,
// failed and restored: the changes of each restored run's plan, the latest
// run winning.
func failedHere(ctx context.Context, st *store.Store) (map[string]*scan.FailedHere, error) {
	runs, err := st.RestoredApplies(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*scan.FailedHere{}
	for _, r := range runs {
		var p scan.Plan
		if json.Unmarshal([]byte(r.Plan), &p) != nil {
			continue // a plan this agent cannot read, which it did not write
		}
		on, _, _ := strings.Cut(r.StartedAt, "T")
		for _, c := range p.Changes {
			out[scan.FailedKey(c.Module, c.To)] = scan.NewFailedHere(r.ID, on)
		}
	}
	return out, nil
}

// disabledModules are the modules the agent's ledger says it disabled and
// that are not installed now, with the version disabled.
func disabledModules(ctx context.Context, st *store.Store, mods []erp.Module) (map[string]catalog.Version, error) {
	led, err := st.LedgerDisabled(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]catalog.Version{}
	for name, v := range led {
		ver, err := catalog.ParseVersion(v)
		if err != nil || slices.ContainsFunc(mods, func(m erp.Module) bool { return m.Name == name }) {
			continue // installed again since; or a version this agent cannot read, which it did not write
		}
		out[name] = ver
	}
	return out, nil
}

// Plan scans (saving the report) and plans with req's choices.
func Plan(ctx context.Context, c *config.Config, st *store.Store, r erp.Reader, req Request) (*scan.Plan, error) {
	rep, err := Scan(ctx, c, st, r, req)
	if err != nil {
		return nil, err
	}
	return rep.Plan(req.PlanOptions())
}

// index fetches the listings of names from every subscribed and private
// repository.
func (s *session) index(ctx context.Context, core catalog.Series, names []string) (*scan.Index, error) {
	subs, err := s.subscriptions(ctx, core)
	if err != nil {
		return nil, err
	}
	listings, err := s.gather(ctx, subs, names)
	if err != nil {
		return nil, err
	}
	private, err := s.gatherPrivate(ctx, names)
	if err != nil {
		return nil, err
	}
	return scan.NewIndex(append(listings, private...))
}

func moduleNames(mods []erp.Module) []string {
	out := make([]string, len(mods))
	for i, m := range mods {
		out[i] = m.Name
	}
	return out
}

// Installed turns the ERP's view into the scan's, saying where each
// version comes from and where the agent's ledger disagrees. The ERP's
// dependencies (module names, as tryton.cfg or a manifest gives them) reach
// the scan as InstalledDepends says.
func Installed(mods []erp.Module, ledger map[string]string) []scan.Installed {
	out := make([]scan.Installed, len(mods))
	for i, m := range mods {
		src := "disk"
		if l, ok := ledger[m.Name]; ok && l != m.Version.String() {
			src = "disk (the agent's ledger says " + l + ")"
		}
		if !m.DBVersion.IsZero() && !m.DBVersion.Equal(m.Version) {
			src += "; database migrated to " + m.DBVersion.String()
		}
		out[i] = scan.Installed{Module: m.Name, Version: m.Version, Core: m.Core, Source: src, Depends: InstalledDepends(m, mods),
			OdooNumbering: m.OdooNumbering}
	}
	return out
}

// InstalledDepends turns the names module m depends on into dependencies
// the scan can check. An ERP's own metadata names modules without versions
// (tryton.cfg, __manifest__.py), and code of one series runs with the
// modules of the series installed beside it (Tryton 6.0's party works with
// the ir and country of 6.0): each becomes "any version of the installed
// one's series" (major enforcement from that series' first version). A
// name that is not installed is left out: the ERP runs m without it. The
// scan uses them only when m's installed version is in no subscribed
// listing; nil (the ERP gave none) makes it warn.
func InstalledDepends(m erp.Module, mods []erp.Module) []catalog.Dependency {
	if m.Depends == nil {
		return nil
	}
	out := make([]catalog.Dependency, 0, len(m.Depends))
	for _, name := range m.Depends {
		i := slices.IndexFunc(mods, func(o erp.Module) bool { return o.Name == name })
		if i < 0 || name == m.Name || slices.ContainsFunc(out, func(d catalog.Dependency) bool { return d.Module == name }) {
			continue
		}
		out = append(out, catalog.Dependency{Module: name, First: mods[i].Version.Series().First(), Enforcement: catalog.EnforceMajor})
	}
	return out
}

// Policy combines the configuration, the admin's decisions in the store
// (holds, default-upgrade overrides, relaxations) and the request.
func Policy(ctx context.Context, c *config.Config, st *store.Store, req Request) (scan.Policy, error) {
	p := scan.Policy{Upgrades: req.IncludeUpgrades, Install: req.Install, Maturity: map[string]catalog.Maturity{},
		Holds: map[string]string{}, DefaultUpgrade: map[string]scan.Override{}}
	p.MinInstall, _ = catalog.ParseMaturity(c.Policy.MinMaturityInstall) // validated with the configuration
	p.MinUpdate, _ = catalog.ParseMaturity(c.Policy.MinMaturityUpdate)
	for m, v := range c.Policy.Maturity {
		p.Maturity[m], _ = catalog.ParseMaturity(v)
	}
	holds, err := st.Holds(ctx)
	if err != nil {
		return p, err
	}
	for _, h := range holds {
		p.Holds[h.Module] = h.Reason
	}
	ovr, err := st.DefaultUpgradeOverrides(ctx)
	if err != nil {
		return p, err
	}
	for m, on := range ovr {
		p.DefaultUpgrade[m] = map[bool]scan.Override{true: scan.On, false: scan.Off}[on]
	}
	rel, err := st.Relaxations(ctx)
	if err != nil {
		return p, err
	}
	for _, r := range rel {
		e, err := catalog.ParseEnforcement(r.Enforcement)
		if err != nil {
			return p, fmt.Errorf("stored relaxation of %s on %s: %w", r.Module, r.Dependency, err)
		}
		p.Relax = append(p.Relax, scan.Relaxation{Module: r.Module, Dependency: r.Dependency, Enforcement: e})
	}
	return p, nil
}

func save(ctx context.Context, st *store.Store, rep *scan.Report) error {
	body, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	_, err = st.SaveScan(ctx, Summary(rep), body)
	return err
}

// Summary is a report in one line, as the store keeps it.
func Summary(rep *scan.Report) string {
	return fmt.Sprintf("%s, %s, %s (%d more on request), %d not applicable", count(len(rep.Patches), "patch", "patches"),
		count(len(rep.Updates), "update", "updates"), count(len(rep.Upgrades), "upgrade", "upgrades"), len(rep.UpgradeNotices), len(rep.NotApplicable))
}

// count says n things: "1 patch", "2 patches".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
