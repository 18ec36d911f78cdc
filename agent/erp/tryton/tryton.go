// Package tryton reads and drives a Tryton 6.0 instance: installed modules from ir_module and tryton.cfg, module code on an overlay the agent controls, trytond-admin updates, backups, health and settings.
package tryton

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/catalog"
)

// DefaultPython is the interpreter trytond's own scripts run with (their #!
// line). A python3 earlier on PATH (pyenv, a venv) usually cannot import
// the Debian-packaged trytond.
const DefaultPython = "/usr/bin/python3"

// DefaultTimeout bounds the Python helper that reads the tryton.cfg files.
const DefaultTimeout = 60 * time.Second

// coreModule is Tryton's platform core; it and res carry no version in their
// tryton.cfg, so they take the version of trytond itself.
const coreModule = "ir"

// Config locates a Tryton 6.0 instance.
type Config struct {
	// TrytondConf is the trytond.conf the instance runs with; its [database]
	// uri (and path, for SQLite) decide the backend and where the data is.
	TrytondConf string
	// Database is the database name (trytond-admin -d).
	Database string
	// Python runs the helper that reads tryton.cfg; default DefaultPython.
	Python string
	// Overlay is the module overlay the agent controls (see EnsureOverlay):
	// a PYTHONPATH entry holding trytond/modules/<module>. It goes first on
	// the PYTHONPATH. The write side needs it; the read side works without.
	Overlay string
	// PythonPath is the rest of the PYTHONPATH trytond runs with (extra
	// module folders), after Overlay. Both empty: the interpreter's own path.
	PythonPath []string
	// Timeout bounds the Python helper; zero means DefaultTimeout.
	Timeout time.Duration
}

// Reader reads a Tryton 6.0 instance. It implements erp.Reader.
type Reader struct {
	cfg Config
	db  dbTarget
}

var _ erp.Reader = (*Reader)(nil)

// New checks cfg and resolves the database from trytond.conf and the
// environment (TRYTOND_DATABASE__URI, TRYTOND_DATABASE__PATH), as trytond
// does. It does not open the database: Installed does, every time.
func New(cfg Config) (*Reader, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s, err := readDBSettings(cfg.TrytondConf, os.Getenv)
	if err != nil {
		return nil, err
	}
	t, err := s.target(cfg.Database)
	if err != nil {
		return nil, err
	}
	return &Reader{cfg: cfg, db: t}, nil
}

// check validates cfg and fills in its defaults.
func (c *Config) check() error {
	if c.TrytondConf == "" {
		return errors.New("tryton: erp.tryton.trytond_conf is empty: set it to the trytond.conf the server runs with (e.g. /etc/tryton/trytond.conf)")
	}
	if st, err := os.Stat(c.TrytondConf); err != nil || st.IsDir() {
		return fmt.Errorf("tryton: erp.tryton.trytond_conf = %q: not a readable file; point it at the trytond.conf the server runs with (trytond -c FILE)", c.TrytondConf)
	}
	if c.Database == "" || strings.ContainsAny(c.Database, `/\`) || strings.HasPrefix(c.Database, ".") {
		return fmt.Errorf("tryton: erp.tryton.database = %q: set it to the database name the server uses (trytond-admin -d NAME), without a path or .sqlite suffix", c.Database)
	}
	if c.Python == "" {
		c.Python = DefaultPython
	}
	if c.Overlay != "" && !filepath.IsAbs(c.Overlay) {
		return fmt.Errorf("tryton: erp.tryton.modules_overlay = %q is not absolute: give the overlay folder as an absolute path", c.Overlay)
	}
	for i, p := range c.PythonPath {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("tryton: erp.tryton.python_path[%d] = %q is not absolute: give the folders of the PYTHONPATH trytond runs with as absolute paths", i, p)
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return nil
}

// Kind implements erp.Reader.
func (r *Reader) Kind() string { return "tryton" }

// Installed implements erp.Reader: the modules installed in ir_module, each
// with the version and dependencies of its code on disk (tryton.cfg, found
// the way trytond finds it, through the configured PYTHONPATH). DBVersion
// stays zero: Tryton 6.0 does not record which version a database was
// migrated to (ir.module.version is computed from tryton.cfg).
func (r *Reader) Installed(ctx context.Context) ([]erp.Module, error) {
	names, err := installedNames(ctx, r.db)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, nil // erp.Core then says erp.ErrNoCore
	}
	rep, err := r.moduleInfos(ctx, names)
	if err != nil {
		return nil, err
	}
	mods, err := r.modules(rep)
	if err != nil {
		return nil, err
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Name < mods[j].Name })
	return mods, nil
}

// modules turns the helper's report into modules; every module whose code
// is missing or unreadable is named in one error.
func (r *Reader) modules(rep helperReport) ([]erp.Module, error) {
	var mods []erp.Module
	var bad []string
	for _, mi := range rep.Modules {
		m, err := toModule(mi, rep.Trytond)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		mods = append(mods, m)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("tryton: %s has installed modules whose code or version cannot be read with PYTHONPATH=%s (trytond %s from %s): %s; check erp.tryton.modules_overlay and python_path (the module path) and those modules' folders",
			r.db, r.pythonPath(), rep.Trytond, rep.TrytondDir, strings.Join(bad, "; "))
	}
	return mods, nil
}

// toModule reads one module; ir and res take trytond's version when their
// tryton.cfg has none (in Tryton 6.0 they have none).
func toModule(mi moduleInfo, trytond string) (erp.Module, error) {
	if mi.Error != "" {
		return erp.Module{}, fmt.Errorf("%s (%s)", mi.Name, mi.Error)
	}
	raw, from := mi.Version, "version= in "+filepath.Join(mi.Directory, "tryton.cfg")
	if raw == "" && (mi.Name == coreModule || mi.Name == "res") {
		raw, from = trytond, "trytond.__version__"
	}
	if raw == "" {
		return erp.Module{}, fmt.Errorf("%s (%s has no version= line)", mi.Name, filepath.Join(mi.Directory, "tryton.cfg"))
	}
	v, err := catalog.ParseVersion(raw)
	if err != nil {
		return erp.Module{}, fmt.Errorf("%s (%s: %v)", mi.Name, from, err)
	}
	return erp.Module{Name: mi.Name, Version: v, Core: mi.Name == coreModule, Depends: mi.Depends, Dir: mi.Directory}, nil
}
