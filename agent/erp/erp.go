// Package erp is the agent's view of an ERP: the small interfaces every adapter (demo, Tryton, a generic command adapter) implements.
package erp

import (
	"context"
	"errors"
	"io"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Module is one module the ERP has installed (activated).
type Module struct {
	Name    string
	Version catalog.Version // the version of the code on disk
	// DBVersion is the version the database was last migrated to, when the
	// ERP records it (OpenERP's latest_version); zero when it does not (Tryton).
	DBVersion catalog.Version
	Core      bool     // the platform core (Openbravo core, Odoo base, Tryton ir)
	Depends   []string // module names, as the ERP's own metadata says
	Dir       string   // where its code lives
	// OdooNumbering says Version is numbered as Odoo numbers modules
	// (SERIES.x.y.z, catalog.ClassifyOdoo classes its changes).
	OdooNumbering bool
}

// Reader reads what an ERP has installed. Implementations never change the
// ERP; an unreadable database or module folder is an error that names it and
// says what to check.
type Reader interface {
	// Kind names the adapter: "demo", "tryton", "command".
	Kind() string
	// Installed returns the installed modules, the core among them, sorted by name.
	Installed(ctx context.Context) ([]Module, error)
}

// ErrNoCore says the ERP reported no core module: the database is empty or
// not this ERP's.
var ErrNoCore = errors.New("no core module is installed")

// Core returns the core module of an installed set.
func Core(mods []Module) (Module, error) {
	for _, m := range mods {
		if m.Core {
			return m, nil
		}
	}
	return Module{}, ErrNoCore
}

// The write side: what the apply runner needs from an adapter. Each method
// names what failed and what to check; none of them is called while another
// apply runs (the runner holds the lock).

// Server controls the ERP's server process.
type Server interface {
	// Stop stops the server and returns once it no longer runs; a stopped
	// server is success.
	Stop(ctx context.Context) error
	// Start starts the server and returns once its process runs (not
	// necessarily healthy: the runner calls Health with a deadline).
	Start(ctx context.Context) error
}

// Backup describes a verified copy of the ERP database. It is stored in the
// journal as JSON, so a restarted agent can restore it after a crash.
type Backup struct {
	Method   string `json:"method"`             // "sqlite-file", "pg-template", "pg-dump"
	Path     string `json:"path,omitempty"`     // the copy's file or folder
	Database string `json:"database,omitempty"` // the copy's database name (pg-template)
	Size     int64  `json:"size"`               // bytes, as measured after the copy
	Checksum string `json:"checksum"`           // of the copy's content, checked before a restore
}

// Database backs up, restores and queries the ERP database.
type Database interface {
	// BackupSize estimates the bytes a backup needs, for the disk-room check.
	BackupSize(ctx context.Context) (int64, error)
	// Backup copies the stopped ERP's database into dir (empty, created by
	// the runner) and verifies the copy before returning.
	Backup(ctx context.Context, dir string) (Backup, error)
	// Restore replaces the live database with the backup, exactly; it is
	// idempotent, so a restore interrupted by a crash can run again.
	Restore(ctx context.Context, b Backup) error
	// DropBackup frees what the backup holds outside its folder (a template
	// database); the runner removes the folder itself.
	DropBackup(ctx context.Context, b Backup) error
	// ExecSQL runs a migration script against the database in one transaction.
	ExecSQL(ctx context.Context, script string) error
	// QueryValue runs a query returning one value, for configured health checks.
	QueryValue(ctx context.Context, query string) (string, error)
}

// BackupRoomer is a Database whose backup method knows the room it needs
// in the folder dir the runner backs up into: a clone on the database's
// own cluster needs none there, a reflink copy almost none, a byte copy
// or a dump the database's size. The disk-room check uses it when the
// adapter implements it, else BackupSize. It also refuses, with what to
// free, when the method needs room elsewhere that is known to lack.
type BackupRoomer interface {
	BackupRoom(ctx context.Context, dir string) (int64, error)
}

// UpdateRequest is one run of the ERP's own update.
type UpdateRequest struct {
	All     bool     // update every installed module (--update=all, trytond-admin --all)
	Modules []string // else these, with the modules that depend on them
	Install []string // new modules to install (their code is already in place)
	Disable []string // modules to disable first
}

// Updater places module code and runs the ERP's own update.
type Updater interface {
	// ModuleDir is the live path of module name's code, which the runner
	// replaces by an atomic swap; it may not exist yet (a new module).
	ModuleDir(name string) (string, error)
	// StagingDir is a folder the ERP never loads code from, on the same
	// filesystem as every ModuleDir, where the runner stages new folders.
	// It exists when StagingDir returns (the adapter creates it).
	StagingDir() (string, error)
	// CanDisable says whether Update honours Disable; when false, a plan
	// that disables modules is refused before anything starts, with the reason.
	CanDisable() (bool, string)
	// Disabled returns those of names that the ERP's own records hold in
	// its disabled state (deactivated, data kept), for the read-back after a
	// disable; a module that is installed or unknown is not among them.
	Disabled(ctx context.Context, names []string) ([]string, error)
	// Update runs the ERP's own update; its output goes to log. A non-zero
	// exit is an error that carries the last lines of the output.
	Update(ctx context.Context, req UpdateRequest, log io.Writer) error
}

// ScriptEnv is how migration scripts of this ERP run.
type ScriptEnv struct {
	Python string   // interpreter for .py scripts
	Env    []string // extra KEY=VALUE for .py and .sh scripts (e.g. PYTHONPATH, UPKEEP_DATABASE)
}

// Writer is an adapter that can apply a plan: everything the runner calls.
type Writer interface {
	Reader
	Server
	Database
	Updater
	// Health is the adapter's own check of a running server (Tryton: JSON-RPC
	// common.server.version, then a login and a read when credentials are set).
	Health(ctx context.Context) error
	// Settings snapshots what an update should not change (menus,
	// configuration tables) as key → value, for the settings drift report.
	Settings(ctx context.Context) (map[string]string, error)
	// Scripts says how .py and .sh migration scripts run.
	Scripts() ScriptEnv
}

// Neutralizer makes a rehearsal copy harmless: no scheduled jobs, no outgoing mail.
type Neutralizer interface {
	Neutralize(ctx context.Context) error
}
