package apply_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/internal/disktest"
)

// onFullDisk moves f's state to a small tmpfs of its own and returns the
// mount point.
func (f *fixture) onFullDisk(t *testing.T) string {
	t.Helper()
	mnt := disktest.Mount(t, "48m")
	f.store.Close()
	f.state = filepath.Join(mnt, "state")
	st, err := store.Open(f.state, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	return mnt
}

// fillAt returns a runner whose state disk fills up when step n starts;
// before filling, prepare runs (nil: nothing).
func (f *fixture) fillAt(t *testing.T, mnt string, n int, prepare func(run int64)) (*apply.Runner, *string) {
	filler := new(string)
	r := f.runner(nil)
	r.Progress = func(e apply.Event) {
		if e.Phase == apply.PhaseStart && e.Step == n && *filler == "" {
			if prepare != nil {
				prepare(e.Run)
			}
			*filler = disktest.Fill(t, mnt, 0)
		}
	}
	return r, filler
}

// TestAFullStateDiskNeverLeavesTheERPStopped fills the state folder's disk
// at each step boundary of an apply: whatever the step, the ERP ends up
// running and healthy, as it was before (or updated, when the run could
// finish), and the journal ends consistent once room is freed.
func TestAFullStateDiskNeverLeavesTheERPStopped(t *testing.T) {
	base := newFixture(t, goodNotes())
	steps := apply.Steps(base.plan(t))
	for n := 1; n <= len(steps); n++ {
		t.Run(strconv.Itoa(n)+" "+steps[n-1], func(t *testing.T) {
			f := base.newInstance(t)
			mnt := f.onFullDisk(t)
			plan, before := f.plan(t), f.snapshot(t)
			r, filler := f.fillAt(t, mnt, n, nil)
			res, err := r.Apply(ctx, plan)
			if *filler == "" {
				t.Fatalf("step %d never started: %+v, %v", n, res, err)
			}
			if herr := f.writer.Health(ctx); herr != nil {
				t.Fatalf("the ERP is not healthy after a full disk at step %d: %v (apply: %v)", n, herr, err)
			}
			outcome := "succeeded"
			switch {
			case err == nil:
				if res.State != store.RunSucceeded || f.snapshot(t) == before {
					t.Errorf("no error, but the run is %s and the instance unchanged", res.State)
				}
			case errors.Is(err, apply.ErrRestoreFailed):
				outcome = "restored, unjournaled (exit 8)"
				if !strings.Contains(err.Error(), "--recover-only") || !strings.Contains(err.Error(), "free room") {
					t.Errorf("exit-8 message lacks what to do: %v", err)
				}
				fallthrough
			default:
				if outcome == "succeeded" {
					outcome = "failed-restored"
					if res == nil || res.State != store.RunFailedRestored {
						t.Errorf("Apply = %+v, %v; want failed-restored", res, err)
					}
				}
				if f.snapshot(t) != before {
					t.Error("the instance differs from before the apply")
				}
			}
			t.Logf("disk full at step %d (%s): %s", n, steps[n-1], outcome)
			if err := os.Remove(*filler); err != nil {
				t.Fatal(err)
			}
			if _, err := f.runner(nil).Recover(ctx); err != nil && !strings.Contains(err.Error(), "instance was restored") {
				t.Errorf("Recover once room was freed: %v", err)
			}
			if p, err := f.store.PendingRun(ctx); err != nil || p != nil {
				t.Errorf("a run is still pending after Recover: %+v, %v", p, err)
			}
			if err := f.writer.Health(ctx); err != nil {
				t.Errorf("the ERP is not healthy after Recover: %v", err)
			}
		})
	}
}

// TestAFullStateDiskWithoutTheReserveStillRestartsTheERP takes the
// reserve away too: the restore cannot be journaled, the ERP is restored
// and restarted all the same, and the apply exits 8 saying so.
func TestAFullStateDiskWithoutTheReserveStillRestartsTheERP(t *testing.T) {
	f := newFixture(t, goodNotes())
	mnt := f.onFullDisk(t)
	plan, before := f.plan(t), f.snapshot(t)
	backup := slices.Index(apply.Steps(plan), "backup the database") + 1
	r, filler := f.fillAt(t, mnt, backup, func(run int64) {
		if err := os.Remove(filepath.Join(f.state, "runs", strconv.FormatInt(run, 10), apply.ReserveFile)); err != nil {
			t.Errorf("remove the reserve: %v", err)
		}
	})
	res, err := r.Apply(ctx, plan)
	if !errors.Is(err, apply.ErrRestoreFailed) {
		t.Fatalf("Apply = %+v, %v; want ErrRestoreFailed (exit 8)", res, err)
	}
	for _, want := range []string{"restored as it was before the apply and passed its health checks", "could not record it",
		"free room", "upkeep apply --recover-only", "backup the database"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the message lacks %q:\n%v", want, err)
		}
	}
	if err := f.writer.Health(ctx); err != nil {
		t.Fatalf("the ERP was left down: %v", err)
	}
	if f.snapshot(t) != before {
		t.Error("the instance differs from before the apply")
	}
	if p, _ := f.store.PendingRun(ctx); p == nil || p.ID != res.Run {
		t.Errorf("the journal should still show run %d as unfinished (it could not record the restore): %+v", res.Run, p)
	}
	if err := os.Remove(*filler); err != nil {
		t.Fatal(err)
	}
	if _, err := f.runner(nil).Recover(ctx); err != nil && !strings.Contains(err.Error(), "instance was restored") {
		t.Fatalf("Recover once room was freed: %v", err)
	}
	run, err := f.store.Run(ctx, res.Run)
	if err != nil || run.State != store.RunFailedRestored {
		t.Fatalf("run %d after Recover: %+v, %v; want failed-restored", res.Run, run, err)
	}
	if last := run.Steps[len(run.Steps)-1]; last.Name != "restore: health checks" || last.State != store.StepDone {
		t.Errorf("last journaled step = %q %s, want the repeated restore's health checks done", last.Name, last.State)
	}
	if err := f.writer.Health(ctx); err != nil || f.snapshot(t) != before {
		t.Errorf("after Recover: health %v, unchanged %v", err, f.snapshot(t) == before)
	}
}
