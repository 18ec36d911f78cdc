package tryton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
)

// Update implements erp.Updater with one trytond-admin run:
//
//	trytond-admin -c CONF -d DB -u MODULE… [--all] -v
//
// -u takes the modules to update, the new ones to activate (Install) and
// the ones to deactivate (Disable); --all comes after it, because -u
// replaces the list built so far and --all appends ir to it. Tryton also
// updates every activated module that depends on a -u module.
//
// Disable first marks the modules "to remove" in ir_module (refused, with
// nothing changed, when an activated module outside the request depends on
// one); trytond-admin then deletes the records their XML files created and
// marks them "not activated". Their tables, columns and rows stay.
//
// The output goes to log. A non-zero exit is an error carrying the last
// lines of the output; the database may then be half-migrated (Tryton
// commits module by module), which is what the backup is for.
func (w *Writer) Update(ctx context.Context, req erp.UpdateRequest, log io.Writer) error {
	for _, list := range [][]string{req.Modules, req.Install, req.Disable} {
		for _, m := range list {
			if err := checkModuleName(m); err != nil {
				return err
			}
		}
	}
	mods := union(req.Modules, req.Install)
	if len(req.Disable) > 0 {
		marked, err := w.markToRemove(ctx, req.Disable)
		if err != nil {
			return err
		}
		// Only the modules marked: -u on a deactivated one would activate it.
		mods = union(mods, marked)
	}
	if len(mods) == 0 && !req.All {
		if len(req.Disable) > 0 {
			return nil // every module to disable already is
		}
		return errors.New("tryton: the update request names no module and not All: nothing to run")
	}
	return w.runAdmin(ctx, adminArgs(w.cfg.TrytondConf, w.cfg.Database, mods, req.All), log)
}

// union returns the names of lists without repeats, in order.
func union(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range lists {
		for _, m := range list {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// adminArgs is trytond-admin's command line; -v logs warnings.
func adminArgs(conf, db string, mods []string, all bool) []string {
	args := []string{"-c", conf, "-d", db}
	if len(mods) > 0 {
		args = append(append(args, "-u"), mods...)
	}
	if all {
		args = append(args, "--all")
	}
	return append(args, "-v")
}

// runAdmin runs trytond-admin in its own process group (killed whole when
// ctx ends), its output into log and kept for the error.
func (w *Writer) runAdmin(ctx context.Context, args []string, log io.Writer) error {
	// No input: a prompt (a missing admin password) reads EOF and fails.
	c := proc.Command{Argv: append([]string{w.cfg.Admin}, args...), Env: w.cfg.pythonEnv(), Dir: os.TempDir(), Output: log}
	err := c.Run(ctx)
	var pe *proc.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &pe):
		return fmt.Errorf("tryton: start %s: %w", w.cfg.Admin, err)
	case !pe.Started && (errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist)):
		return fmt.Errorf("tryton: %s was not found: install tryton-server: %w", w.cfg.Admin, pe.Err)
	case !pe.Started:
		return fmt.Errorf("tryton: start %s: %w", w.cfg.Admin, pe.Err)
	case pe.Cause != nil:
		return fmt.Errorf("tryton: trytond-admin %s killed after %s: %w; the database may be half-migrated: restore the backup (last output: %s)",
			strings.Join(args, " "), pe.Took.Round(time.Millisecond), pe.Cause, lastLines(pe.Tail(50), 3))
	}
	return fmt.Errorf("tryton: trytond-admin %s failed after %s (%w): %s; the database may be half-migrated (Tryton commits module by module): restore the backup",
		strings.Join(args, " "), pe.Took.Round(time.Millisecond), pe.Err, lastLines(pe.Tail(50), 6))
}
