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
