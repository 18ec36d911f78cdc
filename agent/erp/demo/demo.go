// Package demo is the ERP adapter for Upkeep's demo ERP (package demoerp): it reads the installed modules from the instance's SQLite database and module folders.
package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/demoerp"
)

// Config locates a demo ERP instance and says how to drive it.
type Config struct {
	Dir string // the instance folder: addons/ and erp.sqlite
	// The write side (NewWriter) only:
	URL     string     // the running server's base URL; default DefaultURL
	Command []string   // the demo-erp program (and leading arguments); default demo-erp next to this program, else on PATH
	Server  erp.Server // stops and starts the server (package proc)
}

// Reader reads a demo ERP instance; it never writes to it.
type Reader struct {
	dir string
}

var _ erp.Reader = (*Reader)(nil)

// New returns a Reader on the instance c.Dir.
func New(c Config) (*Reader, error) {
	if c.Dir == "" {
		return nil, errors.New("demo ERP: the instance folder is not set: give the folder that holds erp.sqlite and addons/")
	}
	return &Reader{dir: c.Dir}, nil
}

// Kind returns "demo".
func (r *Reader) Kind() string { return "demo" }

// Dir returns the instance folder.
func (r *Reader) Dir() string { return r.dir }

// dbRow is one installed row of ir_module_module.
type dbRow struct {
	Name          string         `db:"name"`
	LatestVersion sql.NullString `db:"latest_version"`
}

// Installed returns the installed modules (state installed or to upgrade),
// sorted by name: Version from each module folder's upkeep.toml, DBVersion
// from the database's latest_version.
func (r *Reader) Installed(ctx context.Context) ([]erp.Module, error) {
	rows, err := r.readRows(ctx)
	if err != nil {
		return nil, err
	}
	mods := make([]erp.Module, 0, len(rows))
	for _, row := range rows {
		m, err := r.module(row)
		if err != nil {
			return nil, err
		}
		mods = append(mods, m)
	}
	return mods, nil
}

// readRows reads the installed rows, opening the database read-only.
func (r *Reader) readRows(ctx context.Context) ([]dbRow, error) {
	path := demoerp.DBPath(r.dir)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("demo ERP database %s does not exist: create the instance with demo-erp init --dir %s, or fix erp.demo.dir", path, r.dir)
	} else if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	db, err := sqlx.Open("sqlite3", demoerp.DSN(path, "mode=ro&_busy_timeout=10000"))
	if err != nil {
		return nil, fmt.Errorf("open the database %s: %w", path, err)
	}
	defer db.Close()
	var rows []dbRow
	err = db.SelectContext(ctx, &rows, `SELECT name, latest_version FROM ir_module_module
		WHERE state IN ('installed', 'to upgrade') ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read ir_module_module from %s: %w; check that it is a demo ERP database", path, err)
	}
	return rows, nil
}

// module reads the folder of one installed module.
func (r *Reader) module(row dbRow) (erp.Module, error) {
	man, err := demoerp.LoadModule(r.dir, row.Name)
	if err != nil {
		return erp.Module{}, fmt.Errorf("installed %w", err)
	}
	m := erp.Module{Name: row.Name, Version: man.Version, Core: man.Core, Dir: demoerp.ModuleDir(r.dir, row.Name)}
	for _, d := range man.Depends {
		m.Depends = append(m.Depends, d.Module)
	}
	if row.LatestVersion.Valid {
		v, err := catalog.ParseVersion(row.LatestVersion.String)
		if err != nil {
			return erp.Module{}, fmt.Errorf("installed module %s: latest_version %q in %s: %w; the database is damaged: restore its backup",
				row.Name, row.LatestVersion.String, demoerp.DBPath(r.dir), err)
		}
		m.DBVersion = v
	}
	return m, nil
}
