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
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/repo"
)

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
