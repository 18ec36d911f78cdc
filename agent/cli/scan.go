package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

func init() { extraCommands = append(extraCommands, (*app).scanCmd, (*app).planCmd) }

// scanFlags are the requests a scan or plan may carry.
type scanFlags struct {
	install, upgrades []string
	disableBlockers   bool
}

func (a *app) scanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Show the patches, updates, upgrades, blocked updates and new modules this instance can take",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withState(func(cmd *cobra.Command, _ []string, c *config.Config, st *store.Store) error {
			rep, err := a.scan(cmd, c, st, f)
			if err != nil {
				return err
			}
			return a.print(rep, func(w io.Writer) { printReport(w, rep, colors(a.out)) })
		}),
	}
	cmd.Flags().StringSliceVar(&f.install, "install", nil, "modules to install (comma-separated or repeated)")
	cmd.Flags().StringSliceVar(&f.upgrades, "include-upgrades", nil, "modules whose upgrades to propose even if not upgraded by default")
	return cmd
}

func (a *app) planCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Turn a scan into the exact changes to apply, in order, with the scripts that will run and a stable hash",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withState(func(cmd *cobra.Command, _ []string, c *config.Config, st *store.Store) error {
			rep, err := a.scan(cmd, c, st, f)
			if err != nil {
				return err
			}
			p, err := rep.Plan(scan.PlanOptions{IncludeUpgrades: f.upgrades, DisableBlockers: f.disableBlockers})
			if err != nil {
				return err
			}
			return a.print(p, func(w io.Writer) { printPlan(w, p) })
		}),
	}
	cmd.Flags().StringSliceVar(&f.install, "install", nil, "modules to install")
	cmd.Flags().StringSliceVar(&f.upgrades, "include-upgrades", nil, "modules whose upgrades to take even if not upgraded by default")
	cmd.Flags().BoolVar(&f.disableBlockers, "disable-blockers", false, "enforced update: disable the installed modules that block a change")
	return cmd
}

// scan reads the ERP, fetches what the subscribed repositories list for it,
// applies the policy and saves the report.
func (a *app) scan(cmd *cobra.Command, c *config.Config, st *store.Store, f scanFlags) (*scan.Report, error) {
	mods, err := readInstalled(cmd, c)
	if err != nil {
		return nil, err
	}
	core, err := erp.Core(mods)
	if err != nil {
		return nil, withCode(ExitERP, err)
	}
	subs, err := subscriptions(cmd.Context(), c, core.Version.Series())
	if err != nil {
		return nil, err
	}
	names := append(moduleNames(mods), f.install...)
	g, err := gather(cmd.Context(), c, subs, names)
	if err != nil {
		return nil, err
	}
	private, err := gatherPrivate(cmd.Context(), c, names)
	if err != nil {
		return nil, err
	}
	idx, err := scan.NewIndex(append(g.Listings, private...))
	if err != nil {
		return nil, err
	}
	pol, err := policy(cmd, c, st, f)
	if err != nil {
		return nil, err
	}
	ledger, err := st.LedgerVersions(cmd.Context())
	if err != nil {
		return nil, err
	}
	rep, err := scan.Scan(idx, scanInstalled(mods, ledger), pol)
	if err != nil {
		return nil, err
	}
	return rep, saveReport(cmd, st, rep)
}

func moduleNames(mods []erp.Module) []string {
	out := make([]string, len(mods))
	for i, m := range mods {
		out[i] = m.Name
	}
	return out
}

// scanInstalled turns the ERP's view into the scan's, saying where each
// version comes from and where the agent's ledger disagrees.
func scanInstalled(mods []erp.Module, ledger map[string]string) []scan.Installed {
	out := make([]scan.Installed, len(mods))
	for i, m := range mods {
		src := "disk"
		if l, ok := ledger[m.Name]; ok && l != m.Version.String() {
			src = "disk (the agent's ledger says " + l + ")"
		}
		if !m.DBVersion.IsZero() && !m.DBVersion.Equal(m.Version) {
			src += "; database migrated to " + m.DBVersion.String()
		}
		out[i] = scan.Installed{Module: m.Name, Version: m.Version, Core: m.Core, Source: src}
	}
	return out
}

// policy combines the configuration, the admin's decisions in the store and
// this command's requests.
func policy(cmd *cobra.Command, c *config.Config, st *store.Store, f scanFlags) (scan.Policy, error) {
	p := scan.Policy{Upgrades: f.upgrades, Install: f.install, Maturity: map[string]catalog.Maturity{},
		Holds: map[string]string{}, DefaultUpgrade: map[string]scan.Override{}}
	p.MinInstall, _ = catalog.ParseMaturity(c.Policy.MinMaturityInstall) // validated with the configuration
	p.MinUpdate, _ = catalog.ParseMaturity(c.Policy.MinMaturityUpdate)
	for m, v := range c.Policy.Maturity {
		p.Maturity[m], _ = catalog.ParseMaturity(v)
	}
	ctx := cmd.Context()
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

func saveReport(cmd *cobra.Command, st *store.Store, rep *scan.Report) error {
	body, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode the report: %w", err)
	}
	_, err = st.SaveScan(cmd.Context(), summary(rep), body)
	return err
}

func summary(rep *scan.Report) string {
	return fmt.Sprintf("%d patches, %d updates, %d upgrades (%d more on request), %d not applicable",
		len(rep.Patches), len(rep.Updates), len(rep.Upgrades), len(rep.UpgradeNotices), len(rep.NotApplicable))
}
