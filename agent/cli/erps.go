package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
)

func (a *app) installedCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "installed",
		Short: "List the ERP's installed modules, and where the disk, the database and the agent's ledger disagree",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.agentCmd("", func(cmd *cobra.Command, _ []string, _ *config.Config, link agentLink) error {
			rows, err := link.cl.Installed(cmd.Context())
			if err != nil {
				return err
			}
			return a.print(rows, func(w io.Writer) { printInstalled(w, rows) })
		}),
	}
}

func printInstalled(w io.Writer, rows []api.InstalledModule) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tVERSION\tNOTE")
	for _, r := range rows {
		name := r.Module
		if r.Core {
			name += " (core)"
		}
		if r.Disabled {
			name += " (disabled)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, r.Version, r.Note)
	}
	tw.Flush()
}
