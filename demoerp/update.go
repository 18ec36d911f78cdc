package demoerp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/catalog"
)

// All as the only name of UpdateOptions.Update updates every installed module.
const All = "all"

// UpdateOptions says what Update does: disable, then update, then install.
type UpdateOptions struct {
	Disable []string  // set these installed modules to 'disabled' (data kept)
	Update  []string  // "all", or modules to update with every installed module that depends on them
	Install []string  // install these modules from their folders
	Log     io.Writer // progress lines; nil for none
}

// updater holds the state of one Update run.
type updater struct {
	dir  string
	db   *sqlx.DB
	rows map[string]row
	code code // the installed modules' folders
	log  io.Writer
}

// Update runs the ERP's update on the instance in dir, OpenERP style: each
// module in its own transaction, committed before the next starts, so a
// failure leaves the modules before it migrated.
func Update(ctx context.Context, dir string, o UpdateOptions) error {
	if len(o.Disable)+len(o.Update)+len(o.Install) == 0 {
		return errors.New("nothing to do: give modules to update, install or disable")
	}
	db, err := openDB(ctx, dir, "rw")
	if err != nil {
		return err
	}
	defer db.Close()
	u := &updater{dir: dir, db: db, log: o.Log}
	if err := u.load(ctx); err != nil {
		return err
	}
	if err := u.disable(ctx, o.Disable); err != nil {
		return err
	}
	if err := u.update(ctx, o.Update); err != nil {
		return err
	}
	return u.install(ctx, o.Install)
}

// load reads the module registry and the folder of every installed module.
func (u *updater) load(ctx context.Context) error {
	rows, err := readRows(ctx, u.db)
	if err != nil {
		return err
	}
	u.rows, u.code = rows, code{}
	for name, r := range rows {
		if !r.active() {
			continue
		}
		m, err := LoadModule(u.dir, name)
		if err != nil {
			return err
		}
		u.code[name] = m
	}
	return nil
}

// targets resolves the names given to --update: "all", or the modules with
// every installed module that depends on them.
func (u *updater) targets(names []string) ([]string, error) {
	if len(names) == 1 && names[0] == All {
		return order(u.code)
	}
	for _, n := range names {
		if n == All {
			return nil, errors.New(`"all" updates every installed module: give it alone`)
		}
		if _, ok := u.code[n]; !ok {
			return nil, fmt.Errorf("module %s is not installed: install it with --install=%s", n, n)
		}
	}
	picked := code{}
	for n := range dependents(u.code, names) {
		picked[n] = u.code[n]
	}
	return order(picked)
}

// update migrates the modules names select, in dependency order.
func (u *updater) update(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	seq, err := u.targets(names)
	if err != nil {
		return err
	}
	for _, name := range seq {
		if err := u.checkUpdate(name); err != nil {
			return err
		}
	}
	if err := u.setState(ctx, seq, StateToUpgrade); err != nil {
		return err
	}
	for i, name := range seq {
		if err := runModule(ctx, u.db, u.dir, name, u.code[name], false); err != nil {
			return halfMigrated(name, seq[:i], err)
		}
		logMigrated(u.log, name, u.rows[name].LatestVersion.String, u.code[name].Version)
	}
	return nil
}

// logMigrated reports one migrated module.
func logMigrated(w io.Writer, name, from string, to catalog.Version) {
	if sameVersion(from, to.String()) {
		logf(w, "%s: updated (%s)", name, to)
		return
	}
	logf(w, "%s: migrated %s -> %s", name, from, to)
}

// checkUpdate refuses to migrate a module whose dependencies are not met or
// whose code is older than its database.
func (u *updater) checkUpdate(name string) error {
	m := u.code[name]
	if err := checkDeps(name, m, u.code); err != nil {
		return err
	}
	r := u.rows[name]
	if !r.LatestVersion.Valid {
		return nil
	}
	db, err := catalog.ParseVersion(r.LatestVersion.String)
	if err != nil {
		return fmt.Errorf("module %s: latest_version %q in ir_module_module: %w; the database is damaged: restore its backup", name, r.LatestVersion.String, err)
	}
	if m.Version.Less(db) {
		return fmt.Errorf("module %s: the database was migrated to %s but %s holds the older %s: put back %s %s, or restore the database backup that matches this code",
			name, db, ModuleDir(u.dir, name), m.Version, name, db)
	}
	return nil
}

// halfMigrated explains a failed module update after the modules in done were committed.
func halfMigrated(name string, done []string, err error) error {
	if len(done) == 0 {
		return fmt.Errorf("update module %s: %w (rolled back; the database is as before this module: fix it and run the update again)", name, err)
	}
	return fmt.Errorf("update module %s: %w (its transaction was rolled back, but %s were already migrated and committed: the database is half-migrated; fix %s and run the update again, or restore the database backup)",
		name, err, strings.Join(done, ", "), name)
}

// setState sets the state of modules names in one transaction.
func (u *updater) setState(ctx context.Context, names []string, state string) error {
	tx, err := u.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, `UPDATE ir_module_module SET state = ? WHERE name = ?`, state, n); err != nil {
			return fmt.Errorf("set module %s to %q: %w", n, state, err)
		}
		if state == StateDisabled {
			if err := setMenus(ctx, tx, n, false); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit the module states: %w", err)
	}
	for _, n := range names {
		r := u.rows[n]
		r.State = state
		u.rows[n] = r
	}
	return nil
}

// disable sets installed modules to 'disabled', refusing when another
// installed module depends on one of them.
func (u *updater) disable(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	for _, n := range names {
		m, ok := u.code[n]
		switch {
		case !ok:
			return fmt.Errorf("cannot disable %s: it is not installed", n)
		case m.Core:
			return fmt.Errorf("cannot disable %s: it is the core module, every other module needs it", n)
		}
	}
	users := dependents(u.code, names)
	for _, n := range names {
		delete(users, n)
	}
	if len(users) > 0 {
		more := sorted(users)
		return fmt.Errorf("cannot disable %s: installed modules depend on it: %s; disable them too (--disable=%s) or keep it",
			strings.Join(names, ", "), strings.Join(more, ", "), strings.Join(append(slices.Clone(names), more...), ","))
	}
	if err := u.setState(ctx, names, StateDisabled); err != nil {
		return err
	}
	for _, n := range names {
		delete(u.code, n)
		logf(u.log, "%s: disabled (its data is kept)", n)
	}
	return nil
}

// install installs modules from their folders, in dependency order.
func (u *updater) install(ctx context.Context, names []string) error {
	if len(names) == 0 {
		return nil
	}
	picked, seq, err := u.planInstall(names)
	if err != nil {
		return err
	}
	for i, n := range seq {
		if err := runModule(ctx, u.db, u.dir, n, picked[n], true); err != nil {
			return fmt.Errorf("install module %s: %w (installed before it: %v)", n, err, seq[:i])
		}
		u.code[n] = picked[n]
		logf(u.log, "%s: installed %s", n, picked[n].Version)
	}
	return nil
}

// planInstall reads the folders of the modules to install, orders them and
// checks their dependencies against the installed modules and each other.
func (u *updater) planInstall(names []string) (code, []string, error) {
	picked := code{}
	for _, n := range names {
		if _, ok := u.code[n]; ok {
			return nil, nil, fmt.Errorf("module %s is already installed: update it with --update=%s", n, n)
		}
		m, err := LoadModule(u.dir, n)
		if err != nil {
			return nil, nil, err
		}
		if m.Core {
			return nil, nil, fmt.Errorf("module %s is a core module and the instance has its core: a core is only installed by init", n)
		}
		picked[n] = m
	}
	seq, err := order(picked)
	if err != nil {
		return nil, nil, err
	}
	avail := maps.Clone(u.code)
	maps.Copy(avail, picked)
	for _, n := range seq {
		if err := checkDeps(n, picked[n], avail); err != nil {
			return nil, nil, err
		}
	}
	return picked, seq, nil
}
