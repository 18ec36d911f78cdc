package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
)

// scanFlags are the requests a scan or plan may carry.
type scanFlags struct {
	install, upgrades []string
	disableBlockers   bool
	updateAll         bool
}

func (a *app) scanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Show the patches, updates, upgrades, blocked updates and new modules this instance can take",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.agentCmd("scan", func(cmd *cobra.Command, _ []string, _ *config.Config, link agentLink) error {
			r, err := link.cl.Scan(cmd.Context(), api.ScanRequest{Install: f.install, IncludeUpgrades: f.upgrades})
			if err != nil {
				return err
			}
			return a.print(r.Report, func(w io.Writer) { printReport(w, r.Report, colors(a.out)) })
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
		RunE: a.agentCmd("", func(cmd *cobra.Command, _ []string, _ *config.Config, link agentLink) error {
			p, err := link.cl.Plan(cmd.Context(), f.planRequest())
			if err != nil {
				return err
			}
			return a.print(p, func(w io.Writer) { printPlan(w, &p.Plan) })
		}),
	}
	f.addPlanFlags(cmd)
	return cmd
}

// addPlanFlags adds to cmd the flags of the choices a plan is made with.
func (f *scanFlags) addPlanFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.install, "install", nil, "modules to install")
	fl.StringSliceVar(&f.upgrades, "include-upgrades", nil, "modules whose upgrades to take even if not upgraded by default")
	fl.BoolVar(&f.disableBlockers, "disable-blockers", false, "enforced update: disable the installed modules that block a change")
	fl.BoolVar(&f.updateAll, "update-all", false, "after the changes, run the ERP's update of every installed module (--update=all)")
}

// planRequest is the flags as the agent's API takes them.
func (f scanFlags) planRequest() api.PlanRequest {
	return api.PlanRequest{Install: f.install, IncludeUpgrades: f.upgrades, DisableBlockers: f.disableBlockers, UpdateAll: f.updateAll}
}

// interruptible makes cmd's context end at an interrupt or SIGTERM and
// returns it; call stop when done.
func interruptible(cmd *cobra.Command) (ctx context.Context, stop context.CancelFunc) {
	ctx, stop = signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	cmd.SetContext(ctx)
	return ctx, stop
}
