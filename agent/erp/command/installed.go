package command

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/catalog"
)

// modulesSQL lists the installed modules: besides "installed", a module
// marked "to upgrade" or "to remove" still has its code and tables in use.
const modulesSQL = `SELECT name, state, latest_version FROM ir_module_module
	WHERE state IN ('installed', 'to upgrade', 'to remove')`

// odooCore is the core module of an ERP whose modules have Python manifests.
const odooCore = "base"

// pyManifestNames are the Python manifests looked for, in order, when a
// module folder has no upkeep.toml (Odoo 10+, then OpenERP and Odoo ≤ 9).
var pyManifestNames = []string{"__manifest__.py", "__openerp__.py"}

// moduleRow is one installed row of ir_module_module.
type moduleRow struct {
	name, state string
	latest      sql.NullString
}

// Installed returns the installed modules, sorted by name: Version from the
// module folder's manifest (upkeep.toml, else __manifest__.py or
// __openerp__.py, found in modules_dir then addons_path), DBVersion from
// ir_module_module.latest_version.
func (a *Adapter) Installed(ctx context.Context) ([]erp.Module, error) {
	rows, err := a.moduleRows(ctx)
	if err != nil {
		return nil, err
	}
	series := odooSeries(rows)
	mods := make([]erp.Module, 0, len(rows))
	for _, r := range rows {
		m, err := a.module(r, series)
		if err != nil {
			return nil, err
		}
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(x, y erp.Module) int { return strings.Compare(x.Name, y.Name) })
	return mods, nil
}

// moduleRows reads the installed rows in a read-only session.
func (a *Adapter) moduleRows(ctx context.Context) ([]moduleRow, error) {
	db, err := a.db.open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, modulesSQL)
	if err != nil {
		return nil, fmt.Errorf("read ir_module_module in %s: %w; check that erp.command.database is the OpenERP-style ERP's database", a.db, err)
	}
	defer rows.Close()
	var out []moduleRow
	for rows.Next() {
		var r moduleRow
		if err := rows.Scan(&r.name, &r.state, &r.latest); err != nil {
			return nil, fmt.Errorf("read ir_module_module in %s: %w", a.db, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ir_module_module in %s: %w", a.db, err)
	}
	return out, nil
}

// odooSeries is the series of the Odoo core's database version ("16.0"),
// which Odoo puts before a Python manifest's short version; "" when unknown.
func odooSeries(rows []moduleRow) string {
	for _, r := range rows {
		if r.name != odooCore || !r.latest.Valid {
			continue
		}
		if v, err := catalog.ParseVersion(r.latest.String); err == nil {
			s := v.Series()
			return fmt.Sprintf("%d.%d", s.Major, s.Minor)
		}
	}
	return ""
}

// adaptVersion is Odoo's adapt_version: a manifest version that does not
// start with the series gets it in front ("1.3" → "16.0.1.3").
func adaptVersion(version, series string) string {
	if series == "" {
		return version
	}
	if version == series || !strings.HasPrefix(version, series+".") {
		return series + "." + version
	}
	return version
}

// module reads the code of one installed module.
func (a *Adapter) module(r moduleRow, series string) (erp.Module, error) {
	man, err := a.readManifest(r.name, series)
	if err != nil {
		return erp.Module{}, fmt.Errorf("installed module %s: %w", r.name, err)
	}
	m := erp.Module{Name: r.name, Version: man.version, Core: man.core, Depends: man.depends, Dir: man.dir}
	if r.latest.Valid && r.latest.String != "" {
		v, err := catalog.ParseVersion(r.latest.String)
		if err != nil {
			return erp.Module{}, fmt.Errorf("installed module %s: latest_version %q in ir_module_module of %s: %w; the database is damaged: restore its backup",
				r.name, r.latest.String, a.db, err)
		}
		m.DBVersion = v
	}
	return m, nil
}

// manifest is what Installed reads from a module's folder.
type manifest struct {
	dir     string
	version catalog.Version
	depends []string
	core    bool
}

// readManifest finds module name's folder in modules_dir, then in each
// addons_path folder: the first holding a manifest is the module's code.
func (a *Adapter) readManifest(name, series string) (manifest, error) {
	var looked []string
	for _, root := range a.roots() {
		dir := filepath.Join(root, name)
		m, found, err := readFolder(dir, name, series)
		if err != nil || found {
			return m, err
		}
		looked = append(looked, dir)
	}
	return manifest{}, fmt.Errorf("no folder with an upkeep.toml, __manifest__.py or __openerp__.py: looked in %s; put the module's code back (or restore the backup of the module folders), or add its folder to erp.command.addons_path",
		strings.Join(looked, ", "))
}

// readFolder reads the manifest in dir; found is false when dir holds none.
func readFolder(dir, name, series string) (m manifest, found bool, err error) {
	p := filepath.Join(dir, catalog.ManifestName)
	data, err := os.ReadFile(p)
	if err == nil {
		m, err := fromUpkeepTOML(dir, name, data)
		if err != nil {
			return manifest{}, true, fmt.Errorf("%s: %w", p, err)
		}
		return m, true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return manifest{}, true, fmt.Errorf("read %s: %w", p, err)
	}
	for _, base := range pyManifestNames {
		p := filepath.Join(dir, base)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return manifest{}, true, fmt.Errorf("read %s: %w", p, err)
		}
		m, err := fromPython(dir, name, data, series)
		if err != nil {
			return manifest{}, true, fmt.Errorf("%s: %w", p, err)
		}
		return m, true, nil
	}
	return manifest{}, false, nil
}

func fromUpkeepTOML(dir, name string, data []byte) (manifest, error) {
	man, err := catalog.ParseManifest(data)
	if err != nil {
		return manifest{}, err
	}
	if man.Name != name {
		return manifest{}, fmt.Errorf("it names module %q: a module's folder must be named after it", man.Name)
	}
	m := manifest{dir: dir, version: man.Version, core: man.Core}
	for _, d := range man.Depends {
		m.depends = append(m.depends, d.Module)
	}
	return m, nil
}

func fromPython(dir, name string, data []byte, series string) (manifest, error) {
	pm, err := ParsePyManifest(data)
	if err != nil {
		return manifest{}, err
	}
	raw := pm.Version
	if raw == "" {
		raw = "1.0" // Odoo's default
	}
	v, err := catalog.ParseVersion(adaptVersion(raw, series))
	if err != nil {
		return manifest{}, fmt.Errorf("'version': %w", err)
	}
	return manifest{dir: dir, version: v, depends: pm.Depends, core: name == odooCore}, nil
}
