package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/internal/cliutil"
	"github.com/upkeep-erp/upkeep/repo"
)

func (a *app) repositoryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "repository", Short: "List repositories, add a private one (local admin)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cliutil.Usage(fmt.Errorf("repository needs a subcommand: add or list"))
		}}
	cmd.AddCommand(a.repositoryAddCmd(), a.repositoryListCmd())
	return cmd
}

func (a *app) repositoryAddCmd() *cobra.Command {
	var private bool
	cmd := &cobra.Command{
		Use:   "add NAME --private",
		Short: "Create a private repository: versions go in with 'publish --repository NAME', reads need a reader token",
		Args:  exactArgs(1, "NAME"),
		RunE: a.withStore(func(cmd *cobra.Command, args []string, s *repo.Store) error {
			if !private {
				return cliutil.Usage(fmt.Errorf("say --private: series repositories are created by publishing their core"))
			}
			if err := s.AddPrivateRepository(cmd.Context(), args[0], repo.LocalActor(currentUser())); err != nil {
				return err
			}
			res := map[string]any{"name": args[0], "kind": "private"}
			return a.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "private repository %s created\n", args[0])
				fmt.Fprintf(w, "  publish into it: upkeep-repo publish --repository %s X.zip\n", args[0])
				fmt.Fprintf(w, "  give a subscriber read access: upkeep-repo token add NAME --role reader --repositories %s [--expires 365d]\n", args[0])
			})
		}),
	}
	cmd.Flags().BoolVar(&private, "private", false, "reads need a reader token scoped to it (required)")
	return cmd
}

func (a *app) repositoryListCmd() *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List the repositories with their kind and number of versions", Args: exactArgs(0, "no arguments"),
		RunE: a.withStore(func(cmd *cobra.Command, _ []string, s *repo.Store) error {
			repos, err := s.RepositoryList(cmd.Context())
			if err != nil {
				return err
			}
			return a.print(repos, func(w io.Writer) {
				for _, r := range repos {
					fmt.Fprintf(w, "%-20s %-8s %d versions\n", r.Name, r.Kind, r.Versions)
				}
			})
		}),
	}
}
