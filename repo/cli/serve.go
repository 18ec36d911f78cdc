package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/repo"
)

func (a *app) exportCmd() *cobra.Command {
	var opt repo.ExportOptions
	cmd := &cobra.Command{
		Use:   "export DIR",
		Short: "Write the signed read side as static files for any web server, object store or USB stick",
		Long: "Write the signed read side as static files. Private repositories are left out: a static copy\n" +
			"serves anyone who can reach it, so only 'upkeep-repo serve', which checks reader tokens, may serve\n" +
			"them. --include-private exports them anyway, for a copy you hand to a subscriber yourself.",
		Args: exactArgs(1, "DIR"),
		RunE: a.withStore(func(cmd *cobra.Command, args []string, s *repo.Store) error {
			res, err := s.Export(cmd.Context(), args[0], opt)
			if err != nil {
				return err
			}
			return a.print(res, func(w io.Writer) { printExport(w, res, args[0]) })
		}),
	}
	cmd.Flags().StringArrayVar(&opt.Repositories, "repository", nil, "only this repository (repeat); default every public one")
	cmd.Flags().BoolVar(&opt.MetadataOnly, "metadata-only", false, "leave out the archives (a mirror that carries them separately)")
	cmd.Flags().BoolVar(&opt.IncludePrivate, "include-private", false, "export private repositories too (anyone who reads the copy reads them)")
	return cmd
}

func printExport(w io.Writer, res *repo.ExportResult, dir string) {
	fmt.Fprintf(w, "exported %s: %d files, %d bytes into %s\n", strings.Join(res.Repositories, ", "), res.Files, res.Bytes, dir)
	if len(res.LeftOut) > 0 {
		fmt.Fprintf(w, "left out private %s: serve it with 'upkeep-repo serve', which checks reader tokens\n", strings.Join(res.LeftOut, ", "))
	}
	if len(res.Private) > 0 {
		fmt.Fprintf(w, "WARNING: %s is private and the copy checks no token: anyone who can read %s reads it\n", strings.Join(res.Private, ", "), dir)
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

// shutdownGrace is how long serve lets in-flight requests finish after
// SIGTERM before it closes their connections.
const shutdownGrace = 30 * time.Second

func (a *app) serve(ctx context.Context, s *repo.Store, addr string, renewEvery time.Duration) error {
	log := slog.New(slog.NewTextHandler(a.errOut, nil))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using it? pick one with --addr)", addr, err)
	}
	handler, err := repo.NewServer(s, log)
	if err != nil {
		ln.Close()
		return err
	}
	var running sync.WaitGroup // requests being handled, renewals, the shutdown
	srv := &http.Server{Handler: counted(&running, handler), ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	running.Add(2)
	go func() { defer running.Done(); renewLoop(ctx, s, renewEvery, log) }()
	go func() { defer running.Done(); <-ctx.Done(); shutdown(srv, log) }()
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "dir", s.Dir())
	err = srv.Serve(ln)
	cancel()
	running.Wait() // the caller closes the store: nothing may still use it
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// counted runs h with wg counting each request while it is handled.
func counted(wg *sync.WaitGroup, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		h.ServeHTTP(w, r)
	})
}

// shutdown stops accepting, lets in-flight requests finish for
// shutdownGrace, then closes the connections left.
func shutdown(srv *http.Server, log *slog.Logger) {
	shut, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		log.Warn("requests still running at shutdown; closing their connections", "after", shutdownGrace, "err", err)
		srv.Close()
	}
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
