package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Placeholders of the update command, each replaced by a comma list.
const (
	PlaceholderModules = "{modules}" // the modules to update, or "all"
	PlaceholderInstall = "{install}" // the modules to install
	PlaceholderDisable = "{disable}" // the modules to disable
)

// Output kept for errors, and how long a finished command's leftover
// children may hold its output open.
const (
	tailLines  = 20
	outputWait = 10 * time.Second
)

// Disabled implements erp.Updater: the modules whose ir_module_module row
// is 'disabled' (the demo ERP) or 'uninstalled' (OpenERP, Odoo).
func (a *Adapter) Disabled(ctx context.Context, names []string) ([]string, error) {
	return erp.DisabledByQuery(ctx, a.QueryValue, "ir_module_module", []string{"disabled", "uninstalled"}, names)
}

// CanDisable is true when the update command has a {disable} placeholder.
func (a *Adapter) CanDisable() (bool, string) {
	if hasPlaceholder(a.cfg.Update, PlaceholderDisable) {
		return true, ""
	}
	return false, "the update command (erp.command.update) has no {disable} placeholder: if the ERP can deactivate modules from its command line, add the flag that does it with {disable}, e.g. \"--disable={disable}\""
}

// Update runs the update command with its placeholders expanded; its
// output goes to log. It ends the command's whole process group when ctx
// ends.
func (a *Adapter) Update(ctx context.Context, req erp.UpdateRequest, log io.Writer) error {
	argv, err := expand(a.cfg.Update, req)
	if err != nil {
		return err
	}
	if err := a.run(ctx, argv, log); err != nil {
		return fmt.Errorf("the ERP's update failed: %w", err)
	}
	return nil
}

// Health runs the health command, which exits 0 when the server is
// healthy. Without one it checks the database: it opens and no module is
// left half-updated (the [[erp.health]] checks then test the server).
func (a *Adapter) Health(ctx context.Context) error {
	if len(a.cfg.Health) == 0 {
		return a.databaseHealth(ctx)
	}
	if err := a.run(ctx, a.cfg.Health, io.Discard); err != nil {
		return fmt.Errorf("the ERP is not healthy: %w", err)
	}
	return nil
}

// databaseHealth fails when the database does not open or a module is
// marked to upgrade, install or remove (an update did not finish).
func (a *Adapter) databaseHealth(ctx context.Context) error {
	v, err := a.QueryValue(ctx, `SELECT count(*) FROM ir_module_module WHERE state IN ('to upgrade', 'to install', 'to remove')`)
	if err != nil {
		return fmt.Errorf("the ERP is not healthy: %w", err)
	}
	if v != "0" {
		return fmt.Errorf("the ERP is not healthy: %s modules of %s are marked to upgrade, install or remove: an update did not finish; run the ERP's update again, or restore the backup", v, a.db)
	}
	return nil
}

// hasPlaceholder reports whether an argument of argv holds p.
func hasPlaceholder(argv []string, p string) bool {
	return slices.ContainsFunc(argv, func(a string) bool { return strings.Contains(a, p) })
}

// expand fills the update command's placeholders from req. An argument
// holding a placeholder whose list is empty is left out, and so is the
// flag before it when the placeholder stands alone ("-u", "{modules}").
func expand(argv []string, req erp.UpdateRequest) ([]string, error) {
	lists, err := placeholderLists(req)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{PlaceholderModules, PlaceholderInstall, PlaceholderDisable} {
		if lists[p] != "" && !hasPlaceholder(argv, p) {
			return nil, fmt.Errorf("the update command (erp.command.update) has no %s placeholder, so it cannot do this update (%s %s): add the ERP's flag for it with %s", p, strings.Trim(p, "{}"), lists[p], p)
		}
	}
	out := make([]string, 0, len(argv))
	for _, arg := range argv {
		if p, ok := emptyPlaceholder(arg, lists); ok {
			if arg == p && len(out) > 1 && strings.HasPrefix(out[len(out)-1], "-") {
				out = out[:len(out)-1]
			}
			continue
		}
		for p, list := range lists {
			arg = strings.ReplaceAll(arg, p, list)
		}
		out = append(out, arg)
	}
	return out, nil
}

// placeholderLists returns each placeholder's comma list ("" when empty).
func placeholderLists(req erp.UpdateRequest) (map[string]string, error) {
	modules := req.Modules
	if req.All {
		modules = []string{"all"}
	}
	lists := map[string]string{}
	for p, names := range map[string][]string{PlaceholderModules: modules, PlaceholderInstall: req.Install, PlaceholderDisable: req.Disable} {
		for _, n := range names {
			if err := catalog.ValidateModuleName(n); err != nil {
				return nil, fmt.Errorf("update request: %w", err)
			}
		}
		lists[p] = strings.Join(names, ",")
	}
	if lists[PlaceholderModules]+lists[PlaceholderInstall]+lists[PlaceholderDisable] == "" {
		return nil, errors.New("update request: nothing to update, install or disable")
	}
	return lists, nil
}

// emptyPlaceholder returns the placeholder in arg whose list is empty.
func emptyPlaceholder(arg string, lists map[string]string) (string, bool) {
	for p, list := range lists {
		if list == "" && strings.Contains(arg, p) {
			return p, true
		}
	}
	return "", false
}

// run runs argv (no shell) in its own process group with the adapter's
// environment, its output to log; the group is killed when ctx ends. A
// failure carries the last lines of the output.
func (a *Adapter) run(ctx context.Context, argv []string, log io.Writer) error {
	c := proc.Command{Argv: argv, Env: append(os.Environ(), a.env()...), Output: log, WaitDelay: outputWait}
	err := c.Run(ctx)
	var pe *proc.Error
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	switch {
	case !pe.Started && (errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission)):
		return fmt.Errorf("%s: %w; check the program's path in [erp.command]", proc.Quote(argv), pe.Err)
	case pe.Cause != nil:
		err = fmt.Errorf("%w (%w): its process group was killed", ctx.Err(), pe.Err)
	default:
		err = pe.Err
	}
	return fmt.Errorf("%s: %w\n%s", proc.Quote(argv), err, pe.Tail(tailLines))
}
