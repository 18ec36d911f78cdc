package odoo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Output kept for errors, and how long a finished odoo-bin's leftover
// children may hold its output open.
const (
	tailLines  = 20
	outputWait = 10 * time.Second
)

// CanDisable is false: Odoo has no "deactivate but keep the data";
// uninstalling a module deletes its data.
func (a *Adapter) CanDisable() (bool, string) {
	return false, "Odoo cannot deactivate a module and keep its data: uninstalling deletes the module's tables and records, so Upkeep never does it on its own"
}

// Disabled is always empty: Odoo has no disabled state that keeps the
// data ("uninstalled" has lost it).
func (a *Adapter) Disabled(context.Context, []string) ([]string, error) { return nil, nil }

// updateArgs are odoo-bin's flags for updating and installing modules.
func updateArgs(update, install []string) []string {
	var out []string
	if len(update) > 0 {
		out = append(out, "-u", strings.Join(update, ","))
	}
	if len(install) > 0 {
		out = append(out, "-i", strings.Join(install, ","))
	}
	return out
}

// argv is odoo-bin with the configuration, the database, flags and
// --stop-after-init.
func (a *Adapter) argv(flags []string) []string {
	argv := []string{a.cfg.Python, a.cfg.OdooBin, "-c", a.cfg.ConfFile, "-d", a.cfg.Database}
	return append(append(argv, flags...), "--stop-after-init", "--no-http")
}

// Update runs odoo-bin -c CONF -d DB -u MODS -i NEW --stop-after-init as
// the ERP's user; Odoo runs the modules' own migration scripts, which the
// log lists first. The runner then reads ir_module_module back (erp.Check:
// state installed, latest_version at the code's version).
func (a *Adapter) Update(ctx context.Context, req erp.UpdateRequest, log io.Writer) error {
	if len(req.Disable) > 0 {
		_, why := a.CanDisable()
		return fmt.Errorf("odoo: cannot disable %s: %s", strings.Join(req.Disable, ", "), why)
	}
	update := req.Modules
	if req.All {
		update = []string{"all"}
	}
	for _, n := range append(slices.Clone(req.Modules), req.Install...) {
		if err := catalog.ValidateModuleName(n); err != nil {
			return fmt.Errorf("odoo: update request: %w", err)
		}
	}
	if len(update)+len(req.Install) == 0 {
		return errors.New("odoo: update request: nothing to update or install")
	}
	if err := a.ownModules(append(slices.Clone(req.Modules), req.Install...)); err != nil {
		return err
	}
	before, err := a.Installed(ctx)
	if err != nil {
		return err
	}
	a.logMigrations(before, req.Modules, log)
	if err := a.run(ctx, a.argv(updateArgs(update, req.Install)), log); err != nil {
		return fmt.Errorf("odoo: the update failed: %w", err)
	}
	return nil
}

// ownModules gives the swapped-in module folders the owner of their addons
// folder (Odoo's user), before Odoo reads or writes them.
func (a *Adapter) ownModules(names []string) error {
	for _, n := range names {
		dir, err := a.ModuleDir(n)
		if err != nil {
			return err
		}
		if _, err := os.Stat(dir); err != nil {
			continue // a module Odoo finds elsewhere; odoo-bin names it
		}
		if err := ownLikeParent(dir); err != nil {
			return err
		}
	}
	return nil
}

// logMigrations writes which migration scripts Odoo will run, in order.
func (a *Adapter) logMigrations(mods []erp.Module, names []string, log io.Writer) {
	for _, m := range mods {
		if !slices.Contains(names, m.Name) {
			continue
		}
		core, _ := erp.Core(mods)
		for _, s := range MigrationScripts(m.Name, m.DBVersion, m.Version, core.DBVersion.Series(), moduleFiles(m.Dir)) {
			fmt.Fprintf(log, "Odoo will run %s\n", s)
		}
	}
}

// moduleFiles lists the files of a module's migrations/ and upgrades/
// folders, as slash paths inside the module folder.
func moduleFiles(dir string) []string {
	var out []string
	for _, root := range scriptRoots {
		_ = filepath.WalkDir(filepath.Join(dir, root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if rel, err := filepath.Rel(dir, p); err == nil {
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	return out
}

// run runs argv as the ERP's user in its own process group, its output to
// log; the group is killed when ctx ends. A failure carries the last lines
// of Odoo's output.
func (a *Adapter) run(ctx context.Context, argv []string, log io.Writer) error {
	c := proc.Command{Argv: argv, Output: log, WaitDelay: outputWait, User: a.cfg.User, Dir: "/"}
	err := c.Run(ctx)
	var pe *proc.Error
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	if !pe.Started {
		return fmt.Errorf("%s: %w; check erp.odoo.python and erp.odoo.odoo_bin (and erp.user)", proc.Quote(argv), pe.Err)
	}
	cause := pe.Err
	if pe.Cause != nil {
		cause = fmt.Errorf("%w (%w): its process group was killed", ctx.Err(), pe.Err)
	}
	return fmt.Errorf("%s: %w\n%s", proc.Quote(argv), cause, pe.Tail(tailLines))
}
