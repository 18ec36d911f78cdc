package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

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
	var role, modules, repos, expires string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a token; it is printed once",
		Args:  exactArgs(1, "NAME"),
		RunE: a.withStore(func(cmd *cobra.Command, args []string, s *repo.Store) error {
			spec := repo.TokenSpec{Name: args[0], Role: repo.Role(role), Modules: splitFlag(modules), Repositories: splitFlag(repos)}
			if expires != "" {
				t, err := parseExpiry(expires, time.Now())
				if err != nil {
					return cliutil.Usage(err)
				}
				spec.Expires = t
			}
			tok, err := s.AddToken(cmd.Context(), spec, repo.LocalActor(currentUser()))
			if err != nil {
				return err
			}
			res := map[string]any{"name": spec.Name, "role": role, "modules": spec.Modules, "repositories": spec.Repositories, "token": tok}
			if !spec.Expires.IsZero() {
				res["expires_at"] = spec.Expires.UTC().Format(time.RFC3339)
			}
			return a.print(res, func(w io.Writer) { fmt.Fprintln(w, tok) })
		}),
	}
	add.Flags().StringVar(&role, "role", "publisher", "admin, publisher or reader")
	add.Flags().StringVar(&modules, "modules", "", "publisher: comma-separated module names it may publish")
	add.Flags().StringVar(&repos, "repositories", "", "reader: comma-separated private repositories it may read")
	add.Flags().StringVar(&expires, "expires", "", "when the token stops working: a date (2026-12-31), a time (RFC 3339) or a delay (90d, 12h)")
	return add
}

func splitFlag(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// parseExpiry reads --expires: a date (the end of that day, UTC), an RFC
// 3339 time, or a delay from now in days (90d) or as a Go duration (12h).
func parseExpiry(v string, now time.Time) (time.Time, error) {
	if d, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return now.Add(time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(d), nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t.Add(24*time.Hour - time.Second), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--expires %q: give a date (2026-12-31), a time (2026-12-31T18:00:00Z) or a delay (90d, 12h)", v)
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
					fmt.Fprintf(w, "%-20s %-10s %-30s %s\n", t.Name, t.Role, t.Modules+t.Repositories, tokenState(t, time.Now()))
				}
			})
		}),
	}
}

func (a *app) tokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use: "revoke NAME", Short: "Revoke a token", Args: exactArgs(1, "NAME"),
		RunE: a.withStore(func(cmd *cobra.Command, args []string, s *repo.Store) error {
			if err := s.RevokeToken(cmd.Context(), args[0], repo.LocalActor(currentUser())); err != nil {
				return err
			}
			return a.print(map[string]string{"revoked": args[0]}, func(w io.Writer) { fmt.Fprintf(w, "revoked %s\n", args[0]) })
		}),
	}
}

// tokenState says whether a token works, and until when.
func tokenState(t repo.TokenInfo, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked " + *t.RevokedAt
	case t.ExpiresAt == nil:
		return "active"
	}
	if exp, err := time.Parse(time.RFC3339, *t.ExpiresAt); err == nil && !now.Before(exp) {
		return "expired " + *t.ExpiresAt
	}
	return "active until " + *t.ExpiresAt
}
