package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/platform"
)

// expandFactor bounds how much larger an extracted module folder is than
// its archive, for the disk-room check.
const expandFactor = 5

// roomMargin is kept free on top of what a run needs.
const roomMargin = 16 << 20

// preflight checks, before anything changes, that the plan is still what
// a scan gives, that it can run here, that there is room for the backup
// and the new files, and that the ERP is healthy; it snapshots the settings.
func (rn *run) preflight(ctx context.Context, out io.Writer) error {
	if err := rn.checkPlan(ctx, out); err != nil {
		return err
	}
	for _, check := range []func(context.Context, io.Writer) error{rn.r.checkRunnable(rn.plan), rn.checkRoom, rn.reserveRoom, rn.checkHealth} {
		if err := check(ctx, out); err != nil {
			return err
		}
	}
	mods, err := rn.r.Writer.Installed(ctx)
	if err != nil {
		return fmt.Errorf("%w: read the installed modules: %w", ErrRefused, err)
	}
	rn.pre.Installed = make([]string, len(mods))
	for i, m := range mods {
		rn.pre.Installed[i] = m.Name
	}
	settings, err := rn.r.Writer.Settings(ctx)
	if err != nil {
		rn.warn("no settings drift report for this run: reading the settings failed: %v", err)
	}
	rn.pre.Settings = settings
	fmt.Fprintf(out, "settings snapshot: %d entries\n", len(settings))
	data, _ := json.Marshal(rn.pre)
	return rn.r.Store.SetRunPreflight(ctx, rn.id, data)
}

// reserveRoom writes the journal's reserve, so that a full disk later on
// can still journal the restore.
func (rn *run) reserveRoom(_ context.Context, out io.Writer) error {
	if err := rn.reserve(); err != nil {
		return fmt.Errorf("%w: %w; free some room and apply again", ErrRefused, err)
	}
	fmt.Fprintf(out, "reserved %s for the journal in %s\n", mib(reserveSize), rn.dir)
	return nil
}

// checkPlan re-plans from the current metadata and installed set: the
// fresh plan must have the plan's hash, and it replaces the plan read from
// the caller (so a hand-edited plan file cannot run other changes).
func (rn *run) checkPlan(ctx context.Context, out io.Writer) error {
	fresh, err := rn.r.rescan(ctx)
	if err != nil {
		return err
	}
	if fresh.Hash != rn.plan.Hash {
		return fmt.Errorf("%w: plan %s was made from other inputs, a scan now gives plan %s: run upkeep plan again and apply the new plan",
			ErrPlanChanged, short(rn.plan.Hash), short(fresh.Hash))
	}
	fmt.Fprintf(out, "plan %s still matches a fresh scan\n", short(fresh.Hash))
	body, err := json.Marshal(fresh)
	if err != nil {
		return fmt.Errorf("encode the plan: %w", err)
	}
	rn.plan, rn.steps = fresh, rn.buildSteps(fresh)
	return rn.r.Store.SetRunPlan(ctx, rn.id, body)
}

func (r *Runner) rescan(ctx context.Context) (*scan.Plan, error) {
	if r.Rescan == nil {
		return nil, fmt.Errorf("%w: the runner has no way to scan again (Runner.Rescan is nil)", ErrRefused)
	}
	fresh, err := r.Rescan(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: scan again to check the plan: %w", ErrRefused, err)
	}
	return fresh, nil
}

// checkRunnable refuses what the ERP cannot do: scripts it cannot run,
// modules it cannot disable.
func (r *Runner) checkRunnable(plan *scan.Plan) func(context.Context, io.Writer) error {
	return func(_ context.Context, out io.Writer) error {
		for _, c := range plan.Changes {
			for _, s := range append(c.Pre[:len(c.Pre):len(c.Pre)], c.Post...) {
				if err := r.canRun(s.Path); err != nil {
					return fmt.Errorf("%w: %s %s script %s: %w", ErrRefused, c.Module, c.To, s.Path, err)
				}
			}
		}
		if len(plan.Disable) > 0 {
			if can, why := r.Writer.CanDisable(); !can {
				return fmt.Errorf("%w: the plan disables %s, but this ERP cannot disable modules (%s): plan again without --disable-blockers",
					ErrRefused, plan.Disable[0].Module, why)
			}
		}
		fmt.Fprintln(out, "every script can run and every change is possible here")
		return nil
	}
}

// canRun says whether a script of this kind can run here.
func (r *Runner) canRun(p string) error {
	switch path.Ext(p) {
	case ".sql":
		return nil
	case ".py":
		if r.Writer.Scripts().Python == "" {
			return fmt.Errorf("no Python interpreter is configured for this ERP")
		}
		return nil
	case ".sh":
		if _, err := os.Stat(shell); err != nil {
			return fmt.Errorf("%s is missing, so shell scripts cannot run on this host", shell)
		}
		return nil
	}
	return fmt.Errorf("only .sql, .py and .sh scripts can run")
}

// checkRoom checks the free space for the backup and the archives (state
// directory) and the extracted module folders (staging folder).
func (rn *run) checkRoom(ctx context.Context, out io.Writer) error {
	size, err := rn.backupRoom(ctx)
	if err != nil {
		return fmt.Errorf("%w: estimate the backup's size: %w", ErrRefused, err)
	}
	var archives int64
	for _, c := range rn.plan.Changes {
		archives += c.Archive.Length
	}
	stagingParent := filepath.Dir(rn.staging)
	needs := map[string]int64{rn.r.StateDir: size + size/10 + archives + roomMargin, stagingParent: expandFactor*archives + roomMargin}
	if same, err := platform.SameFilesystem(rn.r.StateDir, stagingParent); err == nil && same {
		needs = map[string]int64{rn.r.StateDir: needs[rn.r.StateDir] + needs[stagingParent]}
	}
	for dir, need := range needs {
		free, err := platform.FreeBytes(dir)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		if free < need {
			return fmt.Errorf("%w: not enough disk room in %s: the backup and the new module files need about %s, %s are free; free some room and apply again",
				ErrRefused, dir, mib(need), mib(free))
		}
		fmt.Fprintf(out, "disk room in %s: %s needed, %s free\n", dir, mib(need), mib(free))
	}
	return nil
}

// backupRoom is the room the backup needs in the state folder, by the
// adapter's method when it says (a clone on the cluster or a reflink copy
// needs none), else the database's size.
func (rn *run) backupRoom(ctx context.Context) (int64, error) {
	if br, ok := rn.r.Writer.(erp.BackupRoomer); ok {
		return br.BackupRoom(ctx, rn.r.StateDir)
	}
	return rn.r.Writer.BackupSize(ctx)
}

// checkHealth checks the ERP before anything changes.
func (rn *run) checkHealth(ctx context.Context, out io.Writer) error {
	hctx, cancel := context.WithTimeout(ctx, min(orDefault(rn.r.Config.HealthTimeout, defaultHealthTimeout), preflightHealthTimeout))
	defer cancel()
	err := rn.r.healthy(hctx)
	switch {
	case err == nil:
		fmt.Fprintln(out, "the ERP is healthy")
		return nil
	case !rn.r.ForceUnhealthy:
		return fmt.Errorf("%w: the ERP is not healthy before the apply: %w; fix it first, or apply anyway with --force-unhealthy", ErrRefused, err)
	}
	rn.pre.Unhealthy = err.Error()
	rn.warn("APPLYING TO AN UNHEALTHY ERP (--force-unhealthy): %v; a restore brings back this unhealthy state", err)
	return nil
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
