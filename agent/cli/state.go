package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/host"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the configuration file", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return withCode(ExitUsage, fmt.Errorf("config needs a subcommand: check"))
		}}
	var serviceUser string
	check := &cobra.Command{
		Use:   "check",
		Short: "Check the configuration and what it names (trusted roots, groups, the state folder, the ERP's programs) without starting anything",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			c, err := a.checked(serviceUser)
			if err != nil {
				return err
			}
			return a.print(map[string]string{"config": c.Path(), "status": "ok"}, func(w io.Writer) {
				fmt.Fprintf(w, "%s: ok (ERP %s, repository %s)\n", c.Path(), c.ERP.Kind, c.Repository.URL)
			})
		},
	}
	check.Flags().StringVar(&serviceUser, "service-user", "", "check that this user (the service's) may write the state folder; default: you")
	cmd.AddCommand(check)
	return cmd
}

// checked loads the configuration and checks what it names (host.Check);
// every problem is listed, and any is exit 2. user is who must write the
// state folder ("": this process's user).
func (a *app) checked(user string) (*config.Config, error) {
	c, err := a.load()
	if err != nil {
		return nil, err
	}
	problems := host.Check(c, user)
	if len(problems) == 0 {
		return c, nil
	}
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = "  - " + p.Error()
	}
	return nil, withCode(ExitUsage, fmt.Errorf("%s cannot be used as it is:\n%s", c.Path(), strings.Join(lines, "\n")))
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
		RunE: a.agentCmd("override", func(cmd *cobra.Command, args []string, _ *config.Config, link agentLink) error {
			o, err := store.ParseOverride(args[1])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			ch := api.OverridesChange{DefaultUpgrade: map[string]string{args[0]: o.String()}}
			if _, err := link.cl.SetOverrides(cmd.Context(), ch); err != nil {
				return err
			}
			return a.print(map[string]string{"module": args[0], "default_upgrade": o.String()}, func(w io.Writer) {
				fmt.Fprintf(w, "%s: default_upgrade = %s\n", args[0], o)
			})
		}),
	})
	return cmd
}

// holdCmd sets a hold through the agent (which needs the right to act),
// or lists the holds (which only reads).
func (a *app) holdCmd() *cobra.Command {
	var reason string
	list := a.agentCmd("", func(cmd *cobra.Command, _ []string, _ *config.Config, link agentLink) error {
		holds, err := link.cl.Holds(cmd.Context())
		if err != nil {
			return err
		}
		return a.printHolds(holds)
	})
	set := a.agentCmd("hold", func(cmd *cobra.Command, args []string, _ *config.Config, link agentLink) error {
		holds, err := link.cl.SetHolds(cmd.Context(), api.HoldsChange{Hold: []api.Hold{{Module: args[0], Reason: reason}}})
		if err != nil {
			return err
		}
		return a.printHolds(holds)
	})
	cmd := &cobra.Command{
		Use:   "hold [MODULE]",
		Short: "Never propose changes to MODULE (no argument: list the holds)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return list(cmd, args)
			}
			return set(cmd, args)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown in scans)")
	return cmd
}

func (a *app) printHolds(holds []api.Hold) error {
	return a.print(holds, func(w io.Writer) {
		for _, h := range holds {
			fmt.Fprintf(w, "held: %s%s\n", h.Module, holdDetail(h))
		}
	})
}

// holdDetail is the parenthesised note after a held module: its reason,
// who set it and when, leaving out whichever parts are empty.
func holdDetail(h api.Hold) string {
	var parts []string
	if h.Reason != "" {
		parts = append(parts, h.Reason)
	}
	who := ""
	if h.SetBy != "" {
		who = "by " + h.SetBy
	}
	if h.SetAt != "" {
		who = strings.TrimSpace(who + " at " + h.SetAt)
	}
	if who != "" {
		parts = append(parts, who)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

func (a *app) unholdCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unhold MODULE",
		Short: "Release a hold",
		Args:  exactArgs(1, "MODULE"),
		RunE: a.agentCmd("unhold", func(cmd *cobra.Command, args []string, _ *config.Config, link agentLink) error {
			if _, err := link.cl.SetHolds(cmd.Context(), api.HoldsChange{Unhold: []string{args[0]}}); err != nil {
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
		RunE: a.agentCmd("relax", func(cmd *cobra.Command, args []string, _ *config.Config, link agentLink) error {
			enforcement := "inherit"
			if !strings.EqualFold(args[2], "inherit") {
				e, err := catalog.ParseEnforcement(args[2])
				if err != nil {
					return withCode(ExitUsage, err)
				}
				enforcement = e.String()
			}
			ch := api.OverridesChange{Relax: []api.Relaxation{{Module: args[0], Dependency: args[1], Enforcement: enforcement}}}
			if _, err := link.cl.SetOverrides(cmd.Context(), ch); err != nil {
				return err
			}
			return a.print(map[string]string{"module": args[0], "dependency": args[1], "enforcement": enforcement}, func(w io.Writer) {
				if enforcement == "inherit" {
					fmt.Fprintf(w, "%s: dependency on %s as the repository says again\n", args[0], args[1])
					return
				}
				fmt.Fprintf(w, "%s: dependency on %s relaxed to %s enforcement\n", args[0], args[1], enforcement)
			})
		}),
	}
}
