package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// openERP returns the reader for the configured ERP.
func openERP(c *config.Config) (erp.Reader, error) {
	switch c.ERP.Kind {
	case "demo":
		return demo.New(demo.Config{Dir: c.ERP.Demo.Dir})
	case "tryton":
		return tryton.New(trytonConfig(c.ERP.Tryton))
	case "command":
		return openCommandWriter(c)
	}
	return nil, withCode(ExitUsage, fmt.Errorf("erp.kind = %q: use demo, tryton or command", c.ERP.Kind))
}

// trytonConfig locates the Tryton instance [erp.tryton] names; its module
// overlay comes first on the PYTHONPATH, for the reader as for the writer.
func trytonConfig(t config.Tryton) tryton.Config {
	return tryton.Config{TrytondConf: t.TrytondConf, Database: t.Database, Python: t.Python,
		Overlay: t.ModulesOverlay, PythonPath: t.PythonPath}
}

// readInstalled reads the installed modules; failure means the ERP cannot be read.
func readInstalled(cmd *cobra.Command, c *config.Config) ([]erp.Module, error) {
	r, err := openERP(c)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	mods, err := r.Installed(cmd.Context())
	if err != nil {
		return nil, withCode(ExitERP, fmt.Errorf("read the installed modules (%s): %w", r.Kind(), err))
	}
	return mods, nil
}

func (a *app) installedCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "installed",
		Short: "List the ERP's installed modules, and where the disk, the database and the agent's ledger disagree",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withState(func(cmd *cobra.Command, _ []string, c *config.Config, st *store.Store) error {
			mods, err := readInstalled(cmd, c)
			if err != nil {
				return err
			}
			ledger, err := st.LedgerVersions(cmd.Context())
			if err != nil {
				return err
			}
			rows := backend.InstalledModules(mods, ledger)
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
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, r.Version, r.Note)
	}
	tw.Flush()
}
