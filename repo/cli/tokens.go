package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/internal/cliutil"
	"github.com/upkeep-erp/upkeep/repo"
)

func (a *app) tokenCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens (local admin)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cliutil.Usage(fmt.Errorf("token needs a subcommand: add, list or revoke"))
		}}
	cmd.AddCommand(a.tokenAddCmd(), a.tokenListCmd(), a.tokenRevokeCmd())
	return cmd
}

func (a *app) tokenAddCmd() *cobra.Command {
	var role, modules string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a token; it is printed once",
		Args:  exactArgs(1, "NAME"),
		RunE: a.withStore(func(cmd *cobra.Command, args []string, s *repo.Store) error {
			var mods []string
			if modules != "" {
				mods = strings.Split(modules, ",")
			}
			tok, err := s.AddToken(cmd.Context(), args[0], repo.Role(role), mods)
			if err != nil {
				return err
			}
			res := map[string]any{"name": args[0], "role": role, "modules": mods, "token": tok}
			return a.print(res, func(w io.Writer) { fmt.Fprintln(w, tok) })
		}),
	}
	add.Flags().StringVar(&role, "role", "publisher", "admin or publisher")
	add.Flags().StringVar(&modules, "modules", "", "publisher: comma-separated module names it may publish")
	return add
}

func (a *app) tokenListCmd() *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List tokens (never their values)", Args: exactArgs(0, "no arguments"),
		RunE: a.withStore(func(cmd *cobra.Command, _ []string, s *repo.Store) error {
			toks, err := s.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			return a.print(toks, func(w io.Writer) {
				for _, t := range toks {
					state := "active"
					if t.RevokedAt != nil {
						state = "revoked " + *t.RevokedAt
					}
					fmt.Fprintf(w, "%-20s %-10s %-30s %s\n", t.Name, t.Role, t.Modules, state)
				}
			})
		}),
	}
}

func (a *app) tokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use: "revoke NAME", Short: "Revoke a token", Args: exactArgs(1, "NAME"),
		RunE: a.withStore(func(cmd *cobra.Command, args []string, s *repo.Store) error {
			if err := s.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.print(map[string]string{"revoked": args[0]}, func(w io.Writer) { fmt.Fprintf(w, "revoked %s\n", args[0]) })
		}),
	}
}
