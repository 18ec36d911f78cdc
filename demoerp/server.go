package demoerp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/upkeep-erp/upkeep/platform"
)

// ServeOptions configures Serve.
type ServeOptions struct {
	Dir     string    // the instance
	Addr    string    // host:port; port 0 picks a free one
	PIDFile string    // written once listening, removed on shutdown; empty for none
	Out     io.Writer // receives "listening on http://ADDR" once ready; nil for none
}

// shutdownGrace bounds how long Serve waits for requests in flight.
const shutdownGrace = 10 * time.Second

// Serve runs the instance's HTTP server until ctx ends, then shuts it down
// gracefully and removes the pidfile.
func Serve(ctx context.Context, o ServeOptions) error {
	db, err := openDB(ctx, o.Dir, "ro")
	if err != nil {
		return err
	}
	db.Close()
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server using it? pick another with --addr)", o.Addr, err)
	}
	if o.PIDFile != "" {
		if err := platform.WriteFileAtomic(o.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			ln.Close()
			return fmt.Errorf("write the pidfile: %w", err)
		}
		defer os.Remove(o.PIDFile)
	}
	srv := &http.Server{Handler: Handler(o.Dir), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logf(o.Out, "demo-erp: listening on http://%s (instance %s)", ln.Addr(), o.Dir)
	select {
	case err := <-errc:
		return fmt.Errorf("http serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// Handler serves GET /health and GET /modules for the instance in dir.
func Handler(dir string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		h := Check(r.Context(), dir)
		code := http.StatusOK
		if h.Status != HealthOK {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, h)
	})
	mux.HandleFunc("GET /modules", func(w http.ResponseWriter, r *http.Request) {
		mods, err := Modules(r.Context(), dir)
		if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		if mods == nil {
			mods = []ModuleInfo{}
		}
		writeJSON(w, http.StatusOK, mods)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) //nolint:errcheck // the client went away; nothing to do
}
