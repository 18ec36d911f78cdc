package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
)

// shell runs .sh migration scripts.
const shell = "/bin/sh"

// waitDelay bounds the wait for a killed script's output to close.
const waitDelay = 5 * time.Second

// script runs one pre or post script with the script timeout: pre scripts
// from the staged new folder (the live one still holds the old code), post
// scripts from the live folder.
func (rn *run) script(ctx context.Context, st step, out io.Writer) error {
	c := rn.plan.Changes[st.change]
	dir := rn.stagedPath(st.change)
	if st.kind == kindPost {
		live, err := rn.r.Writer.ModuleDir(c.Module)
		if err != nil {
			return err
		}
		dir = live
	}
	limit := orDefault(rn.r.Config.ScriptTimeout, defaultScriptTimeout)
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	env := append([]string{"UPKEEP_MODULE=" + c.Module, "UPKEEP_FROM=" + c.From.String(), "UPKEEP_TO=" + c.To.String(),
		"UPKEEP_PHASE=" + st.script.Phase, "UPKEEP_RUN=" + fmt.Sprint(rn.id)}, rn.r.Writer.Scripts().Env...)
	err := rn.r.runScript(ctx, filepath.Join(dir, filepath.FromSlash(st.script.Path)), dir, env, out)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s ran longer than %s (apply.script_timeout): its processes were killed; make it faster or raise the timeout", st.script.Path, limit)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", st.script.Path, err)
	}
	return nil
}

// runScript runs one script by its extension: .sql through the ERP's
// database, .py and .sh as a process group that is killed when ctx ends.
func (r *Runner) runScript(ctx context.Context, file, dir string, env []string, out io.Writer) error {
	if path.Ext(file) == ".sql" {
		body, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read the script: %w", err)
		}
		return r.Writer.ExecSQL(ctx, string(body))
	}
	interp := shell
	if path.Ext(file) == ".py" {
		interp = r.Writer.Scripts().Python
	}
	if err := r.canRun(file); err != nil {
		return err
	}
	c := proc.Command{Argv: []string{interp, file}, Dir: dir, Env: append(os.Environ(), env...), Output: out, WaitDelay: waitDelay}
	var pe *proc.Error
	if err := c.Run(ctx); errors.As(err, &pe) {
		return fmt.Errorf("%s %s: %w", interp, filepath.Base(file), pe.Err)
	} else if err != nil {
		return err
	}
	return nil
}

// update runs the ERP's own update for one stage, with the update timeout.
func (rn *run) update(ctx context.Context, stage int, out io.Writer) error {
	u := updateRequestNames(rn.plan, stage)
	limit := orDefault(rn.r.Config.UpdateTimeout, defaultUpdateTimeout)
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	err := rn.r.Writer.Update(ctx, erp.UpdateRequest{All: u.all, Modules: u.update, Install: append(u.install, u.enable...), Disable: u.disable}, out)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the ERP's update ran longer than %s (apply.update_timeout) and was stopped: %w", limit, err)
	}
	if err != nil {
		return err
	}
	return rn.verify(ctx, stage, out)
}

// verify reads the ERP's state back after stage's update: every change of
// this and the earlier stages at its new version, every disabled module
// disabled, every other module installed before the stop still installed.
func (rn *run) verify(ctx context.Context, stage int, out io.Writer) error {
	ok, err := erp.Check(ctx, rn.r.Writer, expected(rn.plan, stage, rn.pre.Installed))
	if err != nil {
		return fmt.Errorf("read back after the update: %w", err)
	}
	for _, line := range ok {
		fmt.Fprintln(out, "read back:", line)
	}
	return nil
}

// expected is what the ERP must show once stage's update ran; before are
// the modules installed before the stop.
func expected(plan *scan.Plan, stage int, before []string) erp.Expected {
	want := erp.Expected{Versions: map[string]catalog.Version{}}
	for _, c := range plan.Changes {
		if c.Stage <= stage {
			want.Versions[c.Module] = c.To
		}
	}
	for _, d := range plan.Disable {
		want.Disabled = append(want.Disabled, d.Module)
	}
	for _, d := range plan.Enable { // its code, in place, at the version it had when disabled
		want.Versions[d.Module] = d.Version
	}
	for _, name := range before {
		if _, changed := want.Versions[name]; !changed && !slices.Contains(want.Disabled, name) {
			want.Kept = append(want.Kept, name)
		}
	}
	return want
}

// doBackup backs up the stopped ERP's database into the run's folder and
// journals the verified backup, so a restarted agent can restore it.
func (rn *run) doBackup(ctx context.Context, out io.Writer) error {
	dir := filepath.Join(rn.dir, "backup")
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	b, err := rn.r.Writer.Backup(ctx, dir)
	if err != nil {
		return err
	}
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode the backup: %w", err)
	}
	if err := rn.r.Store.SetRunBackup(ctx, rn.id, data); err != nil {
		return err
	}
	rn.backup = &b
	fmt.Fprintf(out, "backup (%s) of %s verified, checksum %s, in %s\n", b.Method, mib(b.Size), short(b.Checksum), dir)
	return nil
}
