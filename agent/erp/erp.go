// Package erp is the agent's view of an ERP: the small interfaces every adapter (demo, Tryton, a generic command adapter) implements.
package erp

import (
	"context"
	"errors"

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
