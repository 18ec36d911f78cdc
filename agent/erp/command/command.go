// Package command is the ERP adapter for any OpenERP-style ERP driven by configured commands: an update command, a health command, a database URL for backups and an addons folder the agent swaps module folders in.
package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/catalog"
)

// DefaultPython runs .py migration scripts when erp.command.python is empty.
const DefaultPython = "python3"

// Environment variables every command and migration script receives.
const (
	EnvDatabaseURL = "UPKEEP_DATABASE_URL" // erp.command.database, as configured
	EnvModulesDir  = "UPKEEP_MODULES_DIR"  // erp.command.modules_dir
)

// Adapter drives an OpenERP-style ERP: its ir_module_module table and
// module folders, its own update and health commands, and the server
// control it was given.
type Adapter struct {
	cfg    config.Command
	db     database
	server erp.Server
}

var _ erp.Writer = (*Adapter)(nil)

// New returns the adapter that c describes; srv stops and starts the ERP's
// server (see package proc). c is checked with c.Check.
func New(c config.Command, srv erp.Server) (*Adapter, error) {
	if srv == nil {
		return nil, errors.New("command ERP: no server control: configure [erp.server] (systemd_unit, pidfile with start, or start with stop)")
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	db, err := parseDatabase(c.Database)
	if err != nil {
		return nil, err
	}
	if c.Python == "" {
		c.Python = DefaultPython
	}
	return &Adapter{cfg: c, db: db, server: srv}, nil
}

// Kind returns "command".
func (a *Adapter) Kind() string { return "command" }

// Stop stops the server through the configured control.
func (a *Adapter) Stop(ctx context.Context) error { return a.server.Stop(ctx) }

// Start starts the server through the configured control.
func (a *Adapter) Start(ctx context.Context) error { return a.server.Start(ctx) }

// ModuleDir returns modules_dir/name: where Upkeep places every module's
// new code, even one whose old code lives in another addons_path folder
// (modules_dir must come first in the ERP's own addons path).
func (a *Adapter) ModuleDir(name string) (string, error) {
	if err := catalog.ValidateModuleName(name); err != nil {
		return "", fmt.Errorf("command ERP: %w", err)
	}
	return filepath.Join(a.cfg.ModulesDir, name), nil
}

// StagingDir returns (and creates) .<base>.upkeep-staging beside
// modules_dir: on its filesystem, but not a folder the ERP loads code from.
func (a *Adapter) StagingDir() (string, error) {
	dir := filepath.Join(filepath.Dir(a.cfg.ModulesDir), "."+filepath.Base(a.cfg.ModulesDir)+".upkeep-staging")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create the staging folder: %w; the agent needs write access to the folder holding erp.command.modules_dir", err)
	}
	return dir, nil
}

// Scripts runs .py scripts with erp.command.python (default python3); .py
// and .sh scripts get UPKEEP_DATABASE_URL and UPKEEP_MODULES_DIR.
func (a *Adapter) Scripts() erp.ScriptEnv {
	return erp.ScriptEnv{Python: a.cfg.Python, Env: a.env()}
}

// env is what the adapter adds to the environment of what it runs.
func (a *Adapter) env() []string {
	return []string{EnvDatabaseURL + "=" + a.cfg.Database, EnvModulesDir + "=" + a.cfg.ModulesDir}
}

// roots are the folders searched for a module's code, in order.
func (a *Adapter) roots() []string {
	return append([]string{a.cfg.ModulesDir}, slices.Clone(a.cfg.AddonsPath)...)
}
