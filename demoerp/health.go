package demoerp

import (
	"context"
	"fmt"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Health statuses.
const (
	HealthOK          = "ok"
	HealthNeedsUpdate = "needs update" // the code of a module is not the version its database was migrated to
	HealthError       = "error"        // the database or a module folder cannot be read
)

// Health is the answer of GET /health.
type Health struct {
	Status  string `json:"status"`
	Modules int    `json:"modules,omitempty"` // installed modules (ok only)
	Version string `json:"version,omitempty"` // the core's version (ok only)
	// Module names the module that needs attention; CodeVersion and
	// DBVersion are its folder's version and its latest_version.
	Module      string `json:"module,omitempty"`
	CodeVersion string `json:"code_version,omitempty"`
	DBVersion   string `json:"db_version,omitempty"`
	Error       string `json:"error,omitempty"`
}

// ModuleInfo is one installed module as GET /modules lists it.
type ModuleInfo struct {
	Name      string `json:"name"`
	State     string `json:"state"`
	Version   string `json:"version,omitempty"`    // of the code in its folder
	DBVersion string `json:"db_version,omitempty"` // latest_version
	Core      bool   `json:"core,omitempty"`
	Error     string `json:"error,omitempty"` // why its folder cannot be read
}

// Modules lists the installed modules (state installed or to upgrade) of
// the instance in dir, by name, reading the database read-only.
func Modules(ctx context.Context, dir string) ([]ModuleInfo, error) {
	db, err := openDB(ctx, dir, "ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := readRows(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []ModuleInfo
	for _, name := range sortedRows(rows) {
		r := rows[name]
		if !r.active() {
			continue
		}
		info := ModuleInfo{Name: name, State: r.State, DBVersion: r.LatestVersion.String}
		if m, err := LoadModule(dir, name); err != nil {
			info.Error = err.Error()
		} else {
			info.Version, info.Core = m.Version.String(), m.Core
		}
		out = append(out, info)
	}
	return out, nil
}

// Check is the deep health check: the database opens and every installed
// module's database is migrated to the version of its code.
func Check(ctx context.Context, dir string) Health {
	mods, err := Modules(ctx, dir)
	if err != nil {
		return Health{Status: HealthError, Error: err.Error()}
	}
	h := Health{Status: HealthOK, Modules: len(mods)}
	for _, m := range mods {
		if bad := checkModule(dir, m); bad != nil {
			return *bad
		}
		if m.Core {
			h.Version = m.Version
		}
	}
	if h.Version == "" {
		return Health{Status: HealthError, Error: "no core module is installed: the database is empty or not this ERP's; run demo-erp init"}
	}
	return h
}

// checkModule returns the unhealthy answer for m, or nil when it is fine.
func checkModule(dir string, m ModuleInfo) *Health {
	h := &Health{Status: HealthNeedsUpdate, Module: m.Name, CodeVersion: m.Version, DBVersion: m.DBVersion}
	fix := fmt.Sprintf("run: demo-erp update --dir %s --update=%s", dir, m.Name)
	switch {
	case m.Error != "":
		h.Status, h.Error = HealthError, m.Error
	case m.State == StateToUpgrade:
		h.Error = fmt.Sprintf("module %s is marked %q: an update did not finish; %s", m.Name, m.State, fix)
	case m.DBVersion == "":
		h.Error = fmt.Sprintf("module %s has no latest_version: it was never migrated; %s", m.Name, fix)
	case !sameVersion(m.Version, m.DBVersion):
		h.Error = fmt.Sprintf("module %s: the code is %s but the database is at %s; %s", m.Name, m.Version, m.DBVersion, fix)
	default:
		return nil
	}
	return h
}

// sameVersion compares two version strings numerically (2.50MP21 = 2.50.21).
func sameVersion(a, b string) bool {
	va, err1 := catalog.ParseVersion(a)
	vb, err2 := catalog.ParseVersion(b)
	return err1 == nil && err2 == nil && va.Equal(vb)
}

// sortedRows returns the names of rows in order.
func sortedRows(rows map[string]row) []string {
	set := make(map[string]bool, len(rows))
	for n := range rows {
		set[n] = true
	}
	return sorted(set)
}
