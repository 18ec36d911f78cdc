package command_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
)

// demoERP is the demo-erp binary built once for this package's tests.
var demoERP string

// The test binary doubles as two small programs the fixtures run as real
// processes: a health checker and a stand-in ERP server over PostgreSQL.
const (
	modeHealth = "upkeep-command-test-health" // URL: exit 0 when GET URL answers 200
	modeServe  = "upkeep-command-test-serve"  // ADDR PIDFILE DBURL: serve /health from the database
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case modeHealth:
			os.Exit(checkHealth(os.Args[2]))
		case modeServe:
			os.Exit(serve(os.Args[2], os.Args[3], os.Args[4]))
		}
	}
	erptest.Main(m, &demoERP)
}

// self is the test binary, run as one of the modes above.
func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// checkHealth is the health command: GET url must answer 200.
func checkHealth(url string) int {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "health:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "health:", resp.Status)
		return 1
	}
	return 0
}

// serve is an OpenERP-style server stand-in: GET /health answers 200 while
// no module of the database is left to upgrade, install or remove.
func serve(addr, pidfile, dbURL string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.Remove(pidfile)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		db := stdlib.OpenDB(*cfg)
		defer db.Close()
		var n int
		err := db.QueryRowContext(r.Context(), `SELECT count(*) FROM ir_module_module WHERE state NOT IN ('installed', 'uninstalled')`).Scan(&n)
		if err != nil || n > 0 {
			http.Error(w, fmt.Sprintf("not healthy: %v, %d modules pending", err, n), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return 1
	}
	return 0
}

// ctxT is a context bounded for one test step.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
