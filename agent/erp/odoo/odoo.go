package odoo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

// DefaultPython runs odoo-bin when Config.Python is empty: Debian's, which
// sees the python3-* packages Odoo needs.
const DefaultPython = "/usr/bin/python3"

// Core is Odoo's core module.
const Core = "base"

// Config locates an Odoo server in Odoo's own terms ([erp.odoo]).
type Config struct {
	OdooBin  string // the odoo-bin program
	Python   string // runs odoo-bin; default DefaultPython
	ConfFile string // Odoo's configuration file (odoo-bin -c)
	Database string // default: the configuration's db_name
	// ModulesDir is the addons folder where Upkeep places module folders;
	// default: the first addons_path entry.
	ModulesDir   string
	User         string // the OS user Odoo runs as ("": the agent's own)
	URL          string // the server's root; default from http_interface and http_port
	Login        string // with PasswordFile: the health check logs in
	PasswordFile string
	PGBackup     string     // "pg-template" (default) or "pg-dump"
	Server       erp.Server // stops and starts the server (nil: read only)
}

// Adapter drives an Odoo server: ir_module_module and the addons path for
// reading, odoo-bin -u for updating, the database and its filestore for
// backups.
type Adapter struct {
	cfg  Config
	conf Conf
	pg   string // the database's PostgreSQL URL
	url  string // the server's root URL, ending in /
}

var _ erp.Writer = (*Adapter)(nil)

// New reads Odoo's configuration file and returns the adapter.
func New(c Config) (*Adapter, error) {
	data, err := os.ReadFile(c.ConfFile)
	if err != nil {
		return nil, fmt.Errorf("odoo: read erp.odoo.config: %w; give the configuration file odoo-bin runs with (its -c)", err)
	}
	conf, err := ParseConf(data)
	if err != nil {
		return nil, fmt.Errorf("odoo: %s: %w", c.ConfFile, err)
	}
	if c.Python == "" {
		c.Python = DefaultPython
	}
	if c.Database == "" {
		c.Database = conf.DBName
	}
	if err := checkConf(c, conf); err != nil {
		return nil, err
	}
	if c.ModulesDir == "" {
		c.ModulesDir = conf.AddonsPath[0]
	}
	a := &Adapter{cfg: c, conf: conf, pg: pgURL(conf, c.Database), url: serverURL(c.URL, conf)}
	return a, nil
}

// checkConf says, in Odoo's words, what New cannot work without.
func checkConf(c Config, conf Conf) error {
	switch {
	case c.Database == "":
		return fmt.Errorf("odoo: %s has no db_name and erp.odoo.database is empty: name the database Odoo serves", c.ConfFile)
	case strings.ContainsAny(c.Database, ",/\\ "):
		return fmt.Errorf("odoo: the database %q is one name, not a list: set erp.odoo.database (Odoo's -d)", c.Database)
	case len(conf.AddonsPath) == 0:
		return fmt.Errorf("odoo: %s has no addons_path: Upkeep needs it to find module folders (give it as Odoo's -c file does, the addons folder for Upkeep first)", c.ConfFile)
	case conf.DataDir == "":
		return fmt.Errorf("odoo: %s has no data_dir: set it, so that the filestore (DATA_DIR/filestore/%s) is where Upkeep backs it up", c.ConfFile, c.Database)
	}
	for _, p := range conf.AddonsPath {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("odoo: %s: addons_path entry %q is relative: give absolute paths", c.ConfFile, p)
		}
	}
	return nil
}

// pgURL is the database's URL from the db_* options (Odoo's defaults:
// the local socket, port 5432, the OS user's role).
func pgURL(conf Conf, db string) string {
	u := url.URL{Scheme: "postgresql", Path: "/" + db}
	host := conf.DBHost
	port := conf.DBPort
	if port == 0 {
		port = 5432
	}
	if host == "" {
		u.RawQuery = "host=/var/run/postgresql&port=" + strconv.Itoa(port)
	} else {
		u.Host = net.JoinHostPort(host, strconv.Itoa(port))
	}
	switch {
	case conf.DBUser != "" && conf.DBPassword != "":
		u.User = url.UserPassword(conf.DBUser, conf.DBPassword)
	case conf.DBUser != "":
		u.User = url.User(conf.DBUser)
	}
	return u.String()
}

// serverURL is the configured URL, else http_interface:http_port.
func serverURL(configured string, conf Conf) string {
	if configured != "" {
		return strings.TrimSuffix(configured, "/") + "/"
	}
	host := conf.HTTPInterface
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	port := conf.HTTPPort
	if port == 0 {
		port = 8069
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/"
}

// Kind returns "odoo".
func (a *Adapter) Kind() string { return "odoo" }

// errNoServer says a read-only adapter was asked to stop or start.
var errNoServer = errors.New("odoo: no server control: configure [erp.server] (systemd_unit, or pidfile with start)")

// Stop stops the server through [erp.server].
func (a *Adapter) Stop(ctx context.Context) error {
	if a.cfg.Server == nil {
		return errNoServer
	}
	return a.cfg.Server.Stop(ctx)
}

// Start starts the server through [erp.server].
func (a *Adapter) Start(ctx context.Context) error {
	if a.cfg.Server == nil {
		return errNoServer
	}
	return a.cfg.Server.Start(ctx)
}

// ModuleDir returns where Odoo loads module name from: the first
// addons_path folder holding name/__manifest__.py (base lives in the
// server's own odoo/addons), so the swap keeps it there; a module Odoo
// does not have yet goes to modules_dir/name.
func (a *Adapter) ModuleDir(name string) (string, error) {
	if err := catalog.ValidateModuleName(name); err != nil {
		return "", fmt.Errorf("odoo: %w", err)
	}
	for _, root := range a.roots() {
		dir := filepath.Join(root, name)
		if _, err := os.Stat(filepath.Join(dir, "__manifest__.py")); err == nil {
			return dir, nil
		}
	}
	return filepath.Join(a.cfg.ModulesDir, name), nil
}

// StagingDir returns (and creates) .<base>.upkeep-staging beside
// modules_dir, owned like modules_dir, so that swapped folders keep the
// owner Odoo's user expects.
func (a *Adapter) StagingDir() (string, error) {
	dir := filepath.Join(filepath.Dir(a.cfg.ModulesDir), "."+filepath.Base(a.cfg.ModulesDir)+".upkeep-staging")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("odoo: create the staging folder: %w; the agent needs write access to the folder holding %s", err, a.cfg.ModulesDir)
	}
	if err := sameOwner(dir, a.cfg.ModulesDir); err != nil {
		return "", fmt.Errorf("odoo: staging folder %s: %w", dir, err)
	}
	return dir, nil
}

// Scripts says how Upkeep's own pre and post hooks run (for what lies
// outside Odoo); Odoo's migrations/ scripts are Odoo's to run, during -u.
func (a *Adapter) Scripts() erp.ScriptEnv {
	return erp.ScriptEnv{Python: a.cfg.Python, Env: []string{"UPKEEP_DATABASE_URL=" + a.pg, "UPKEEP_MODULES_DIR=" + a.cfg.ModulesDir,
		"UPKEEP_ODOO_CONFIG=" + a.cfg.ConfFile, "UPKEEP_ODOO_DATABASE=" + a.cfg.Database}}
}

// Filestore is the database's filestore: DATA_DIR/filestore/DB.
func (a *Adapter) Filestore() string {
	return filepath.Join(a.conf.DataDir, "filestore", a.cfg.Database)
}

// CheckSetup says what keeps Odoo's user from running the server and the
// updates here, in Odoo's words: data_dir (sessions, the filestore) and
// the pidfile's folder must be writable by erp.user, modules_dir must
// exist. pidfile is [erp.server] pidfile ("" when none).
func (a *Adapter) CheckSetup(pidfile string) []error {
	var errs []error
	user := a.cfg.User
	who := user
	if who == "" {
		who = "the agent's user"
	}
	if err := platform.WritableBy(a.conf.DataDir, user); err != nil {
		errs = append(errs, fmt.Errorf("odoo: data_dir = %s in %s: %s must be able to write there (%v): chown -R %s it", a.conf.DataDir, a.cfg.ConfFile, who, err, who))
	}
	if pidfile != "" {
		if err := platform.WritableBy(filepath.Dir(pidfile), user); err != nil {
			errs = append(errs, fmt.Errorf("erp.server.pidfile = %s: Odoo's server runs as %s, who must be able to write in %s (%v)", pidfile, who, filepath.Dir(pidfile), err))
		}
	}
	if st, err := os.Stat(a.cfg.ModulesDir); err != nil || !st.IsDir() {
		errs = append(errs, fmt.Errorf("odoo: the addons folder for Upkeep %s (erp.odoo.modules_dir, or the first addons_path entry of %s) is not a folder: create it, owned by %s", a.cfg.ModulesDir, a.cfg.ConfFile, who))
	}
	return errs
}
