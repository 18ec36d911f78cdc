package odoo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/upkeep-erp/upkeep/catalog"
)

// The test binary doubles as the two Odoo programs the fixtures run as
// real processes (no Odoo code is in the repository): a stand-in odoo-bin
// that records module versions in ir_module_module as Odoo does, and a
// stand-in server speaking Odoo's JSON-RPC for the health check.
const modeServe = "upkeep-odoo-test-serve" // ADDR PIDFILE DBURL

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch {
		case filepath.Base(os.Args[1]) == "odoo-bin":
			os.Exit(standInOdooBin(os.Args[2:]))
		case os.Args[1] == modeServe:
			os.Exit(serve(os.Args[2], os.Args[3], os.Args[4]))
		}
	}
	os.Exit(m.Run())
}

// standInOdooBin is odoo-bin -c CONF -d DB [-u MODS] [-i MODS]
// --stop-after-init --no-http over the fixture's database: for each
// module (all: every installed one) it runs the folder's upgrade.sql, if
// any, and records the manifest's version and state installed, in one
// transaction; a folder holding "lies" is skipped (the run still exits 0).
func standInOdooBin(args []string) int {
	neutralize := len(args) > 0 && args[0] == "neutralize"
	if neutralize {
		args = args[1:]
	}
	fs := flag.NewFlagSet("odoo-bin", flag.ContinueOnError)
	conf, db, update, install := fs.String("c", "", ""), fs.String("d", "", ""), fs.String("u", "", ""), fs.String("i", "", "")
	stop, pidfile := fs.Bool("stop-after-init", false, ""), fs.String("pidfile", "", "")
	fs.Bool("no-http", false, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case neutralize:
		return standInNeutralize(*conf, *db)
	case !*stop:
		return standInServer(*conf, *pidfile)
	}
	if err := standInUpdate(*conf, *db, *update, *install); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR odoo.modules.loading:", err)
		return 1
	}
	return 0
}

func standInUpdate(confFile, db, update, install string) error {
	a, err := New(Config{ConfFile: confFile, Database: db, OdooBin: os.Args[1]})
	if err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	defer conn.Close()
	names := splitList(update) + "," + install
	if update == "all" {
		names, err = installedNames(ctx, conn)
		if err != nil {
			return err
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit
	for _, name := range strings.Split(names, ",") {
		if name == "" {
			continue
		}
		if err := standInModule(ctx, a, tx, name); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// standInNeutralize does what Odoo 17's base neutralization does.
func standInNeutralize(confFile, db string) int {
	a, err := New(Config{ConfFile: confFile, Database: db, OdooBin: os.Args[1]})
	if err == nil {
		err = a.ExecSQL(context.Background(), `UPDATE ir_cron SET active = false;
			INSERT INTO ir_config_parameter (key, value) VALUES ('database.is_neutralized', 'true')`)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR odoo.cli.neutralize:", err)
		return 1
	}
	return 0
}

// standInServer is odoo-bin -c CONF --pidfile=P: the stand-in server on
// the configuration's http_port, over its database.
func standInServer(confFile, pidfile string) int {
	a, err := New(Config{ConfFile: confFile, OdooBin: os.Args[1]})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return serve(strings.TrimSuffix(strings.TrimPrefix(a.url, "http://"), "/"), pidfile, a.pg)
}

func splitList(s string) string { return strings.Trim(s, ",") }

func installedNames(ctx context.Context, conn *sql.DB) (string, error) {
	var names string
	err := conn.QueryRowContext(ctx, `SELECT string_agg(name, ',') FROM ir_module_module WHERE state = 'installed'`).Scan(&names)
	return names, err
}

func standInModule(ctx context.Context, a *Adapter, tx *sql.Tx, name string) error {
	man, err := a.manifest(name, catalog.Series{Major: 17})
	if err != nil {
		return err
	}
	fmt.Printf("INFO odoo.modules.loading: loading %s %s\n", name, man.version)
	if _, err := os.Stat(filepath.Join(man.dir, "lies")); err == nil {
		return nil
	}
	if sqlText, err := os.ReadFile(filepath.Join(man.dir, "upgrade.sql")); err == nil {
		if _, err := tx.ExecContext(ctx, string(sqlText)); err != nil {
			return fmt.Errorf("module %s: %w", name, err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO ir_module_module (name, state, latest_version) VALUES ($1, 'installed', $2)
		ON CONFLICT (name) DO UPDATE SET state = 'installed', latest_version = $2`, name, man.version.String())
	return err
}

// serve is the stand-in server: version_info, and on /jsonrpc
// common.login (res_users' plain password) and object.execute_kw
// search_read of ir.module.module, from the database.
func serve(addr, pidfile, dbURL string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
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
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: rpcHandler(db)}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return 1
	}
	return 0
}

// rpcHandler answers Odoo's JSON-RPC "call" requests from db.
func rpcHandler(db *sql.DB) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /web/webclient/version_info", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"server_version": "17.0", "server_version_info": []any{17, 0, 0, "final", 0, ""}, "server_serie": "17.0"}, nil)
	})
	mux.HandleFunc("POST /jsonrpc", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Params struct {
				Service string            `json:"service"`
				Method  string            `json:"method"`
				Args    []json.RawMessage `json:"args"`
			} `json:"params"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Params.Args) < 3 {
			reply(w, nil, fmt.Errorf("bad request: %v", err))
			return
		}
		var login, pw string
		_ = json.Unmarshal(req.Params.Args[1], &login)
		_ = json.Unmarshal(req.Params.Args[2], &pw)
		switch req.Params.Service + "." + req.Params.Method {
		case "common.login":
			var uid int
			err := db.QueryRowContext(r.Context(), `SELECT id FROM res_users WHERE login = $1 AND password = $2`, login, pw).Scan(&uid)
			if errors.Is(err, sql.ErrNoRows) {
				reply(w, false, nil)
				return
			}
			reply(w, uid, err)
		case "object.execute_kw":
			var name, state string
			err := db.QueryRowContext(r.Context(), `SELECT name, state FROM ir_module_module WHERE name = 'base'`).Scan(&name, &state)
			reply(w, []map[string]string{{"name": name, "state": state}}, err)
		default:
			reply(w, nil, fmt.Errorf("unknown method %s.%s", req.Params.Service, req.Params.Method))
		}
	})
	return mux
}

// reply writes a JSON-RPC answer: the result, or Odoo's error shape.
func reply(w http.ResponseWriter, result any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": 1, "error": map[string]any{ //nolint:errcheck // best effort
			"code": 200, "message": "Odoo Server Error", "data": map[string]any{"name": "builtins.Exception", "message": err.Error()}}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": 1, "result": result}) //nolint:errcheck // best effort
}

// ctxT is a context bounded for one test step.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
