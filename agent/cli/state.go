package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the configuration file", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return withCode(ExitUsage, fmt.Errorf("config needs a subcommand: check"))
		}}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration without starting anything",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			c, err := a.load()
			if err != nil {
				return err
			}
			return a.print(map[string]string{"config": c.Path(), "status": "ok"}, func(w io.Writer) {
				fmt.Fprintf(w, "%s: ok (ERP %s, repository %s)\n", c.Path(), c.ERP.Kind, c.Repository.URL)
			})
		},
	})
	return cmd
}

func (a *app) overrideCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "override", Short: "Override a repository setting for this instance", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return withCode(ExitUsage, fmt.Errorf("override needs a subcommand: default-upgrade"))
		}}
	cmd.AddCommand(&cobra.Command{
		Use:   "default-upgrade MODULE true|false|inherit",
		Short: "Propose this module's upgrades by default (true), only on request (false), or as the repository says (inherit)",
		Args:  exactArgs(2, "MODULE true|false|inherit"),
		RunE: a.withState(func(cmd *cobra.Command, args []string, _ *config.Config, st *store.Store) error {
			o, err := store.ParseOverride(args[1])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if err := st.SetDefaultUpgrade(cmd.Context(), args[0], o, userName()); err != nil {
				return err
			}
			return a.print(map[string]string{"module": args[0], "default_upgrade": o.String()}, func(w io.Writer) {
				fmt.Fprintf(w, "%s: default_upgrade = %s\n", args[0], o)
			})
		}),
	})
	return cmd
}

func (a *app) holdCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "hold [MODULE]",
		Short: "Never propose changes to MODULE (no argument: list the holds)",
		Args:  cobra.MaximumNArgs(1),
		RunE: a.withState(func(cmd *cobra.Command, args []string, _ *config.Config, st *store.Store) error {
			if len(args) == 1 {
				if err := st.Hold(cmd.Context(), args[0], reason, userName()); err != nil {
					return err
				}
			}
			holds, err := st.Holds(cmd.Context())
			if err != nil {
				return err
			}
			return a.print(holds, func(w io.Writer) {
				for _, h := range holds {
					fmt.Fprintf(w, "held: %s  (%s, by %s at %s)\n", h.Module, h.Reason, h.SetBy, h.SetAt)
				}
			})
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown in scans)")
	return cmd
}

func (a *app) unholdCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unhold MODULE",
		Short: "Release a hold",
		Args:  exactArgs(1, "MODULE"),
		RunE: a.withState(func(cmd *cobra.Command, args []string, _ *config.Config, st *store.Store) error {
			if err := st.Unhold(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.print(map[string]string{"unheld": args[0]}, func(w io.Writer) { fmt.Fprintf(w, "%s is no longer held\n", args[0]) })
		}),
	}
}

func (a *app) relaxCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "relax MODULE DEPENDENCY major|minor|none|inherit",
		Short: "Relax a user_editable dependency for this instance (the scan ignores and reports other relaxations)",
		Args:  exactArgs(3, "MODULE DEPENDENCY major|minor|none|inherit"),
		RunE: a.withState(func(cmd *cobra.Command, args []string, _ *config.Config, st *store.Store) error {
			if strings.EqualFold(args[2], "inherit") {
				return st.Unrelax(cmd.Context(), args[0], args[1])
			}
			e, err := catalog.ParseEnforcement(args[2])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if err := st.Relax(cmd.Context(), args[0], args[1], e, userName()); err != nil {
				return err
			}
			return a.print(map[string]string{"module": args[0], "dependency": args[1], "enforcement": e.String()}, func(w io.Writer) {
				fmt.Fprintf(w, "%s: dependency on %s relaxed to %s enforcement\n", args[0], args[1], e)
			})
		}),
	}
}
