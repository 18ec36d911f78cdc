package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/repo"
)

func (a *app) renewCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "renew",
		Short: "Re-sign metadata whose signatures expire soon (serve does this by itself)",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withStore(func(cmd *cobra.Command, _ []string, s *repo.Store) error {
			done, err := s.Renew(cmd.Context())
			if err != nil {
				return err
			}
			return a.print(map[string][]string{"renewed": done}, func(w io.Writer) {
				if len(done) == 0 {
					fmt.Fprintln(w, "nothing to renew")
				}
				for _, d := range done {
					fmt.Fprintln(w, "renewed", d)
				}
			})
		}),
	}
}

func (a *app) resignCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "resign",
		Short: "Regenerate every listing and re-sign all metadata (after a key or bin change)",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withStore(func(cmd *cobra.Command, _ []string, s *repo.Store) error {
			start := time.Now()
			repos, err := s.Resign(cmd.Context())
			if err != nil {
				return err
			}
			took := time.Since(start).Round(time.Millisecond)
			res := map[string]any{"repositories": repos, "seconds": took.Seconds()}
			return a.print(res, func(w io.Writer) { fmt.Fprintf(w, "re-signed %s in %v\n", strings.Join(repos, ", "), took) })
		}),
	}
}

func (a *app) rotateRootCmd() *cobra.Command {
	var opt repo.RotateOptions
	cmd := &cobra.Command{
		Use:   "rotate-root",
		Short: "Publish a new root version signed by the current and a new root key (and a new online key on request)",
		Long: "Write root version N+1, signed by the current root key and a new one; agents that trust any earlier\n" +
			"root follow the chain at their next check. --new-online-key also replaces the online key and re-signs\n" +
			"every repository with it (a leaked online key); --keep-root-key re-signs the root with the current key\n" +
			"only (to renew the root's expiry, or to replace just the online key). See docs/REPOSITORY.md, 'Keys'.",
		Args: exactArgs(0, "no arguments"),
		RunE: a.withStore(func(cmd *cobra.Command, _ []string, s *repo.Store) error {
			res, err := s.RotateRoot(cmd.Context(), opt, repo.LocalActor(currentUser()))
			if err != nil {
				return err
			}
			return a.print(res, func(w io.Writer) { printRotated(w, res) })
		}),
	}
	cmd.Flags().StringVar(&opt.RootKey, "root-key", "", "the current root key's file, when it is kept offline (default DIR/keys/root.key)")
	cmd.Flags().BoolVar(&opt.NewOnlineKey, "new-online-key", false, "also replace the online key and re-sign every repository")
	cmd.Flags().BoolVar(&opt.KeepRootKey, "keep-root-key", false, "keep the current root key (no new root key)")
	return cmd
}

func printRotated(w io.Writer, r *repo.Rotated) {
	fmt.Fprintf(w, "root version %d published in %s\n", r.Version, strings.Join(r.Repositories, ", "))
	if r.NewOnlineKey {
		fmt.Fprintln(w, "  new online key: every repository was re-signed with it")
	}
	fmt.Fprintf(w, "Trusted root for new agents: %s (running agents follow the chain by themselves)\n", r.RootPath)
	if r.NewRootKey {
		fmt.Fprintf(w, "New root key: %s\n  Move it to offline storage; destroy the previous root key.\n", r.RootKeyPath)
	}
}
