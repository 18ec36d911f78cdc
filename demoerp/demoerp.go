// Package demoerp is a tiny OpenERP-style ERP for demos and tests: module folders, a SQLite database, --update and a health endpoint.
package demoerp

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The layout of an instance directory.
const (
	DBFile     = "erp.sqlite" // the database
	AddonsDir  = "addons"     // one folder per module: the extracted module archive
	SchemaFile = "schema.sql" // a module's declared schema, run on every install and update
)

// Module states in ir_module_module.state, as in OpenERP.
const (
	StateInstalled   = "installed"
	StateUninstalled = "uninstalled" // known to the database, not installed
	StateToUpgrade   = "to upgrade"  // an update started and has not finished
	StateDisabled    = "disabled"    // deactivated; its data is kept
)

// DefaultDemoData is how many demo partners NewInstance creates.
const DefaultDemoData = 10

// DBPath returns the database file of the instance in dir.
func DBPath(dir string) string { return filepath.Join(dir, DBFile) }

// ModuleDir returns the folder of module name in the instance in dir.
func ModuleDir(dir, name string) string { return filepath.Join(dir, AddonsDir, name) }

// ErrNoDatabase says the instance has no database yet.
var ErrNoDatabase = errors.New("the demo ERP database does not exist")

// requireDB checks that the instance in dir has a database.
func requireDB(dir string) error {
	p := DBPath(dir)
	_, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s is missing; create it with: demo-erp init --dir %s", ErrNoDatabase, p, dir)
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	return nil
}

// logf writes a progress line to w, when w is set.
func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
