package tryton

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// Debian's trytond commands.
const (
	DefaultAdmin   = "/usr/bin/trytond-admin"
	DefaultTrytond = "/usr/bin/trytond"
)

// WriterConfig is what the write side needs besides the instance's Config.
type WriterConfig struct {
	Config
	// Server stops and starts trytond (agent/erp/proc). A server the agent
	// starts itself must run with the overlay on its PYTHONPATH: use
	// ServerCommand; a systemd unit needs Environment=PYTHONPATH=….
	Server erp.Server
	// URL is the server's JSON-RPC root, e.g. http://127.0.0.1:8000/;
	// empty: from [web] listen in trytond.conf.
	URL string
	// User and PasswordFile, both set, make Health log in and read a record:
	// the only check that proves the modules load and the schema matches.
	User, PasswordFile string
	// PGBackup is dbcopy.MethodPGTemplate or dbcopy.MethodPGDump; empty
	// means dbcopy.PostgresDefault. Unused with SQLite.
	PGBackup string
	// Admin is trytond-admin; empty means DefaultAdmin.
	Admin string
	// HTTP makes the health check's requests; nil means a client without
	// proxies whose requests end with the caller's context.
	HTTP *http.Client
}

// Writer drives a Tryton 6.0 instance through an apply: it implements
// erp.Writer and erp.Neutralizer.
type Writer struct {
	*Reader
	cfg WriterConfig
	url string
}

var (
	_ erp.Writer      = (*Writer)(nil)
	_ erp.Neutralizer = (*Writer)(nil)
)

// NewWriter checks cfg as New does, and that the overlay exists (build it
// with EnsureOverlay) and a server control is given. It starts nothing.
func NewWriter(cfg WriterConfig) (*Writer, error) {
	r, err := New(cfg.Config)
	if err != nil {
		return nil, err
	}
	cfg.Config = r.cfg // with its defaults
	if err := checkWriterConfig(&cfg); err != nil {
		return nil, err
	}
	u, err := rpcURL(cfg.URL, cfg.TrytondConf)
	if err != nil {
		return nil, err
	}
	return &Writer{Reader: r, cfg: cfg, url: u}, nil
}

func checkWriterConfig(cfg *WriterConfig) error {
	if cfg.Overlay == "" {
		return errors.New("tryton: erp.tryton.modules_overlay is empty: the agent delivers module versions only on an overlay it controls; set it (e.g. /var/lib/upkeep/tryton-overlay), run upkeep setup, which builds it, and start trytond with it first on PYTHONPATH")
	}
	if _, err := os.Stat(filepath.Join(overlayModules(cfg.Overlay), "__init__.py")); err != nil {
		return fmt.Errorf("tryton: the module overlay %s is not built (%w): run upkeep setup first", cfg.Overlay, err)
	}
	if cfg.Server == nil {
		return errors.New("tryton: no server control: configure [erp.server] (a systemd unit, or a pidfile with the start command)")
	}
	if (cfg.User == "") != (cfg.PasswordFile == "") {
		return errors.New("tryton: erp.tryton.user and password_file go together: set both for the logged-in health check, or neither")
	}
	switch cfg.PGBackup {
	case "", dbcopy.MethodPGTemplate, dbcopy.MethodPGDump:
	default:
		return fmt.Errorf("tryton: erp.tryton.pg_backup = %q: use %q or %q", cfg.PGBackup, dbcopy.MethodPGTemplate, dbcopy.MethodPGDump)
	}
	if cfg.Admin == "" {
		cfg.Admin = DefaultAdmin
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Transport: &http.Transport{Proxy: nil, ResponseHeaderTimeout: time.Minute}}
	}
	return nil
}

// ServerCommand is the command line that runs the instance's server with
// the overlay on its PYTHONPATH and its process id in pidfile, for a server
// the agent starts itself (erp.server.pidfile and start). logconf, when
// set, is a logging configuration file (trytond --logconf).
func ServerCommand(c Config, pidfile, logconf string) []string {
	argv := []string{"/usr/bin/env", "PYTHONPATH=" + c.pythonPath(), DefaultTrytond,
		"-c", c.TrytondConf, "-d", c.Database, "--pidfile", pidfile}
	if logconf != "" {
		argv = append(argv, "--logconf", logconf)
	}
	return argv
}

// Stop implements erp.Server through the configured control.
func (w *Writer) Stop(ctx context.Context) error { return w.cfg.Server.Stop(ctx) }

// Start implements erp.Server through the configured control.
func (w *Writer) Start(ctx context.Context) error { return w.cfg.Server.Start(ctx) }

// ModuleDir implements erp.Updater: OVERLAY/trytond/modules/NAME (for the
// core modules ir and res, OVERLAY/trytond/NAME), a symlink to the system
// module or a folder Upkeep delivered; it may not exist yet.
func (w *Writer) ModuleDir(name string) (string, error) {
	if err := checkModuleName(name); err != nil {
		return "", err
	}
	return moduleEntry(w.cfg.Overlay, name), nil
}

// StagingDir implements erp.Updater: OVERLAY.staging, a sibling of the
// overlay (so on its filesystem, for atomic swaps) that is not on PYTHONPATH.
func (w *Writer) StagingDir() (string, error) {
	dir := stagingOf(w.cfg.Overlay)
	if err := realDir(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// CanDisable implements erp.Updater: Tryton 6.0 deactivates modules (see
// Update). The module's tables, columns and rows are kept; the records its
// XML files created (menus, views, actions, access rules…) are deleted.
func (w *Writer) CanDisable() (bool, string) {
	return true, "Tryton deactivates the module: its tables, columns and rows are kept; the records of its XML files (menus, views, actions, access rules) are deleted"
}

// Disabled implements erp.Updater: Tryton 6.0 has no disabled state; a
// deactivated module's ir_module row is 'not activated' (its tables stay).
func (w *Writer) Disabled(ctx context.Context, names []string) ([]string, error) {
	return erp.DisabledByQuery(ctx, w.QueryValue, "ir_module", []string{"not activated"}, names)
}

// Scripts implements erp.Writer: .py scripts run with the instance's
// interpreter and module path, and find the configuration and database in
// the environment, so that they can do:
//
//	from trytond.pool import Pool
//	from trytond.transaction import Transaction
//	db = os.environ['TRYTON_DATABASE']
//	with Transaction().start(db, 0) as t: pool = Pool(db); pool.init(); …; t.commit()
//
// (trytond reads TRYTOND_CONFIG when it is imported).
func (w *Writer) Scripts() erp.ScriptEnv {
	return erp.ScriptEnv{Python: w.cfg.Python, Env: []string{
		"PYTHONPATH=" + w.cfg.pythonPath(),
		"PYTHONDONTWRITEBYTECODE=1",
		"TRYTOND_CONFIG=" + w.cfg.TrytondConf,
		"TRYTON_DATABASE=" + w.cfg.Database,
		"UPKEEP_DATABASE=" + w.cfg.Database,
	}}
}

// rpcURL is the configured URL, or the one [web] listen in trytond.conf
// gives (trytond's default: localhost:8000), with a trailing slash.
func rpcURL(configured, conf string) (string, error) {
	if configured != "" {
		if !strings.HasPrefix(configured, "http://") && !strings.HasPrefix(configured, "https://") {
			return "", fmt.Errorf("tryton: erp.tryton.url = %q: give the server's http(s):// address, e.g. http://127.0.0.1:8000/", configured)
		}
		return strings.TrimSuffix(configured, "/") + "/", nil
	}
	web, err := parseINISection(conf, "web")
	if err != nil {
		return "", err
	}
	listen := web["listen"]
	if listen == "" {
		listen = "localhost:8000"
	}
	listen, _, _ = strings.Cut(listen, ",")
	host, port := strings.TrimSpace(listen), "8000"
	if i := strings.LastIndex(host, ":"); i >= 0 && !strings.HasSuffix(host, "]") {
		host, port = host[:i], host[i+1:]
	}
	switch host {
	case "", "*", "0.0.0.0":
		host = "127.0.0.1"
	case "[::]", "::":
		host = "[::1]"
	}
	return "http://" + host + ":" + port + "/", nil
}
