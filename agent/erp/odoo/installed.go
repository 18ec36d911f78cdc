package odoo

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
	"github.com/upkeep-erp/upkeep/agent/erp/command"
	"github.com/upkeep-erp/upkeep/catalog"
)

// modulesSQL reads every module Odoo has installed or left marked for a
// change (the "to …" states exist only while odoo-bin runs).
const modulesSQL = `SELECT name, state, COALESCE(latest_version, '') FROM ir_module_module
	WHERE state IN ('installed', 'to upgrade', 'to remove', 'to install') ORDER BY name`

// ErrInconsistent says modules are left marked "to upgrade", "to install"
// or "to remove": an odoo-bin run did not finish.
var ErrInconsistent = errors.New("the Odoo database is inconsistent")

// row is one row of ir_module_module.
type row struct{ name, state, latest string }

// Installed returns the installed modules, sorted by name: Version from
// the module's __manifest__.py on the addons path (in full, with the
// series), DBVersion from ir_module_module.latest_version; base is the
// core. Modules left in a "to …" state are ErrInconsistent, with the
// command that finishes the run.
func (a *Adapter) Installed(ctx context.Context) ([]erp.Module, error) {
	rows, err := a.rows(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.consistent(rows); err != nil {
		return nil, err
	}
	series, err := coreSeries(rows)
	if err != nil {
		return nil, fmt.Errorf("odoo: %s: %w", a.cfg.Database, err)
	}
	mods := make([]erp.Module, 0, len(rows))
	for _, r := range rows {
		m, err := a.module(r, series)
		if err != nil {
			return nil, err
		}
		mods = append(mods, m)
	}
	return mods, nil
}

// rows reads ir_module_module in a read-only session.
func (a *Adapter) rows(ctx context.Context) ([]row, error) {
	db, err := a.open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rs, err := db.QueryContext(ctx, modulesSQL)
	if err != nil {
		return nil, fmt.Errorf("odoo: read ir_module_module in %s: %w; is it an Odoo database (odoo-bin -i base makes one)?", a.cfg.Database, err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.name, &r.state, &r.latest); err != nil {
			return nil, fmt.Errorf("odoo: read ir_module_module in %s: %w", a.cfg.Database, err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("odoo: read ir_module_module in %s: %w", a.cfg.Database, err)
	}
	return out, nil
}

// consistent reports modules left in a "to …" state, with the command
// that finishes what odoo-bin started.
func (a *Adapter) consistent(rows []row) error {
	left := map[string][]string{}
	for _, r := range rows {
		if strings.HasPrefix(r.state, "to ") {
			left[r.state] = append(left[r.state], r.name)
		}
	}
	if len(left) == 0 {
		return nil
	}
	var what []string
	for _, st := range []string{"to upgrade", "to install", "to remove"} {
		if len(left[st]) > 0 {
			what = append(what, fmt.Sprintf("%s marked %q", strings.Join(left[st], ", "), st))
		}
	}
	return fmt.Errorf("%w: %s in ir_module_module of %s: an odoo-bin run did not finish. If Upkeep was applying a plan, run `upkeep apply --recover-only` (it restores the backup). Else finish the run by hand: %s",
		ErrInconsistent, strings.Join(what, "; "), a.cfg.Database, a.fixCommand(left))
}

// fixCommand is the odoo-bin run that finishes a crashed one. Modules
// marked "to remove" would be uninstalled (their data deleted) by it, so
// it first resets them to installed as Odoo's own reset_modules_state does.
func (a *Adapter) fixCommand(left map[string][]string) string {
	argv := a.argv(updateArgs(append(slices.Clone(left["to upgrade"]), left["to remove"]...), left["to install"]))
	cmd := strings.Join(argv, " ")
	if a.cfg.User != "" {
		cmd = "sudo -u " + a.cfg.User + " " + cmd
	}
	if len(left["to remove"]) > 0 {
		cmd = fmt.Sprintf("psql %s -c \"UPDATE ir_module_module SET state='installed' WHERE state='to remove'\" (keep them), then %s", a.cfg.Database, cmd)
	}
	return cmd
}

// coreSeries is base's series from its latest_version (17.0.1.3 → 17.0).
func coreSeries(rows []row) (catalog.Series, error) {
	for _, r := range rows {
		if r.name != Core || r.latest == "" {
			continue
		}
		v, err := catalog.ParseVersion(r.latest)
		if err != nil || v.Len() < 3 {
			return catalog.Series{}, fmt.Errorf("base's latest_version %q in ir_module_module is not a SERIES.x.y version: the database is damaged; restore its backup", r.latest)
		}
		return v.Series(), nil
	}
	return catalog.Series{}, fmt.Errorf("%w: base is not installed: is it an Odoo database?", erp.ErrNoCore)
}

// module reads one installed module's manifest and database version.
func (a *Adapter) module(r row, series catalog.Series) (erp.Module, error) {
	m := erp.Module{Name: r.name, Core: r.name == Core, OdooNumbering: true}
	if r.latest != "" {
		v, err := catalog.ParseVersion(r.latest)
		if err != nil {
			return erp.Module{}, fmt.Errorf("odoo: module %s: latest_version %q in ir_module_module: %w; the database is damaged: restore its backup", r.name, r.latest, err)
		}
		m.DBVersion = v
	}
	man, err := a.manifest(r.name, series)
	if err != nil {
		return erp.Module{}, fmt.Errorf("odoo: installed module %s: %w", r.name, err)
	}
	m.Version, m.Depends, m.Dir = man.version, man.depends, man.dir
	return m, nil
}

// manifest is what a module folder's __manifest__.py says.
type manifest struct {
	dir     string
	version catalog.Version // in full, with the series
	depends []string
}

// roots are the folders Odoo looks for modules in, in order: modules_dir
// first, then addons_path (the odoo/addons folder of the server's tree, which
// holds base, is part of Odoo's own path).
func (a *Adapter) roots() []string {
	out := []string{a.cfg.ModulesDir}
	for _, p := range a.conf.AddonsPath {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if own := filepath.Join(filepath.Dir(a.cfg.OdooBin), "odoo", "addons"); !slices.Contains(out, own) {
		out = append(out, own)
	}
	return out
}

// manifest finds module name's folder the way Odoo does (the first
// addons_path folder holding name/__manifest__.py) and reads it.
func (a *Adapter) manifest(name string, series catalog.Series) (manifest, error) {
	var looked []string
	for _, root := range a.roots() {
		dir := filepath.Join(root, name)
		p := filepath.Join(dir, "__manifest__.py")
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			looked = append(looked, dir)
			continue
		}
		if err != nil {
			return manifest{}, fmt.Errorf("read %s: %w", p, err)
		}
		return parseManifest(p, dir, data, series)
	}
	return manifest{}, fmt.Errorf("no __manifest__.py in %s: put the module's code back (or restore the backup of the module folders), or add its folder to addons_path in %s",
		strings.Join(looked, ", "), a.cfg.ConfFile)
}

// parseManifest reads a __manifest__.py through the Python-literal parser;
// a missing version is Odoo's default 1.0.
func parseManifest(p, dir string, data []byte, series catalog.Series) (manifest, error) {
	pm, err := command.ParsePyManifest(data)
	if err != nil {
		return manifest{}, fmt.Errorf("%s: %w", p, err)
	}
	raw := pm.Version
	if raw == "" {
		raw = "1.0"
	}
	v, err := catalog.ParseOdooVersion(raw, series)
	if err != nil {
		return manifest{}, fmt.Errorf("%s: 'version': %w", p, err)
	}
	return manifest{dir: dir, version: v, depends: pm.Depends}, nil
}

// open opens the Odoo database; a readOnly session cannot change it.
func (a *Adapter) open(ctx context.Context, readOnly bool) (*sql.DB, error) {
	return openPG(ctx, a.pg, a.cfg.Database, readOnly)
}
