package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/internal/cliutil"
	"github.com/upkeep-erp/upkeep/repo"
)

func (a *app) listCmd() *cobra.Command {
	var repository string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List modules and versions with their maturity and repositories",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withBackend(func(cmd *cobra.Command, _ []string, b backend) error {
			mods, err := b.List(cmd.Context(), repository)
			if err != nil {
				return err
			}
			return a.print(mods, func(w io.Writer) { printList(w, mods) })
		}),
	}
	cmd.Flags().StringVar(&repository, "repository", "", "only versions in this repository (e.g. 2.50)")
	return cmd
}

func printList(w io.Writer, mods []repo.ModuleInfo) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tVERSION\tMATURITY\tREPOSITORIES\tDEPENDS")
	for _, m := range mods {
		name := m.Name
		if m.Core {
			name += " (core)"
		}
		if !m.DefaultUpgrade {
			name += " (no default upgrade)"
		}
		for _, v := range m.Versions {
			ver := v.Version
			if v.ExtendedFrom != "" {
				ver += " (extends " + v.ExtendedFrom + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, ver, v.Maturity, strings.Join(v.Repositories, ","), strings.Join(v.Depends, "; "))
		}
	}
	tw.Flush()
}

func (a *app) logCmd() *cobra.Command {
	var module string
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show who published, extended or changed what, and when",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withBackend(func(cmd *cobra.Command, _ []string, b backend) error {
			entries, err := b.Log(cmd.Context(), module)
			if err != nil {
				return err
			}
			return a.print(entries, func(w io.Writer) {
				for _, e := range entries {
					fmt.Fprintf(w, "%s  %-16s %-15s %s %s  %s\n", e.At, e.Actor, e.Action, e.Module, e.Version, e.Detail)
				}
			})
		}),
	}
	cmd.Flags().StringVar(&module, "module", "", "only this module")
	return cmd
}

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

func (a *app) exportCmd() *cobra.Command {
	var repos []string
	var metadataOnly bool
	cmd := &cobra.Command{
		Use:   "export DIR",
		Short: "Write the signed read side as static files for any web server, object store or USB stick",
		Args:  exactArgs(1, "DIR"),
		RunE: a.withStore(func(cmd *cobra.Command, args []string, s *repo.Store) error {
			export := s.Export
			if metadataOnly {
				export = s.ExportMetadata
			}
			res, err := export(cmd.Context(), args[0], repos)
			if err != nil {
				return err
			}
			return a.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "exported %s: %d files, %d bytes into %s\n", strings.Join(res.Repositories, ", "), res.Files, res.Bytes, args[0])
			})
		}),
	}
	cmd.Flags().StringArrayVar(&repos, "repository", nil, "only this repository (repeat); default all")
	cmd.Flags().BoolVar(&metadataOnly, "metadata-only", false, "leave out the archives (a mirror that carries them separately)")
	return cmd
}

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

func (a *app) serveCmd() *cobra.Command {
	var addr string
	var demo bool
	var renewEvery time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the signed metadata, archives and the write API over HTTP",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if demo {
				if err := a.prepareDemo(cmd); err != nil {
					return err
				}
			}
			s, err := a.open()
			if err != nil {
				return err
			}
			defer s.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.serve(ctx, s, addr, renewEvery)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8480", "listen address")
	cmd.Flags().BoolVar(&demo, "demo", false, "create and serve the demo catalog in .upkeep-demo/repo (unless --dir is given)")
	cmd.Flags().DurationVar(&renewEvery, "renew-every", time.Hour, "how often to re-sign metadata nearing expiry")
	return cmd
}

func (a *app) serve(ctx context.Context, s *repo.Store, addr string, renewEvery time.Duration) error {
	log := slog.New(slog.NewTextHandler(a.errOut, nil))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using it? pick one with --addr)", addr, err)
	}
	handler, err := repo.NewServer(s, log)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go renewLoop(ctx, s, renewEvery, log)
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "dir", s.Dir())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func renewLoop(ctx context.Context, s *repo.Store, every time.Duration, log *slog.Logger) {
	for {
		if done, err := s.Renew(ctx); err != nil {
			log.Error("renew signatures", "err", err)
		} else if len(done) > 0 {
			log.Info("renewed signatures", "what", done)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
