package apply_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

var ctx = context.Background()

func changes(p *scan.Plan) string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Module+" "+c.To.String())
	}
	return strings.Join(out, ", ")
}

func TestApplyNewModuleVersion(t *testing.T) {
	f := newFixture(t, goodNotes())
	plan := f.plan(t)
	if got := changes(plan); !strings.Contains(got, "notes 1.1.0") || !strings.Contains(got, "arp 1.4.0") {
		t.Fatalf("plan changes %q, want notes 1.1.0 and arp 1.4.0 among them", got)
	}
	partners, items := f.tableSum(t, "res_partner"), f.tableSum(t, "notes_item")
	var events []apply.Event
	res, err := f.runner(&events).Apply(ctx, plan)
	if err != nil {
		t.Fatalf("Apply: %v\n%+v", err, res)
	}
	if res.State != store.RunSucceeded || res.Downtime <= 0 {
		t.Errorf("result = %+v, want succeeded with a measured downtime", res)
	}
	t.Logf("run %d: %d steps, downtime %s", res.Run, len(apply.Steps(plan)), res.Downtime)
	for q, want := range map[string]string{
		"SELECT color FROM notes_item WHERE id = 1": "blue", // the pre script's column, filled by the post script
		"SELECT color FROM notes_item WHERE id = 2": "none",
		"SELECT count(*) FROM notes_tag":            "0", // the update's new table
		"SELECT count(*) FROM notes_item":           "3",
	} {
		if got, err := f.query(t, q); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", q, got, err, want)
		}
	}
	if got := f.tableSum(t, "res_partner"); got != partners {
		t.Errorf("res_partner changed: %s, was %s", got, partners)
	}
	if f.tableSum(t, "notes_item") == items {
		t.Error("notes_item did not change: the new column is missing")
	}
	f.checkInstalled(t, map[string]string{"notes": "1.1.0", "arp": "1.4.0", "core": "2.50.22"})
	led, _ := f.store.LedgerVersions(ctx)
	if led["notes"] != "1.1.0" || led["core"] != "2.50.22" {
		t.Errorf("ledger = %v", led)
	}
	checkJournal(t, f, res.Run, store.RunSucceeded, "filled color for notes 1.0.0 -> 1.1.0", "post done in notes")
	if res.Drift == nil || !hasChange(res.Drift, "arp_settings/1") {
		t.Errorf("drift = %+v, want arp 1.4.0's post script's change of arp_settings", res.Drift)
	}
	f.checkClean(t, res.Run)
	last := events[len(events)-1]
	if last.Phase != apply.PhaseDone || last.Step != last.Steps || !strings.HasPrefix(last.Name, "record") {
		t.Errorf("last event = %+v, want the record step done, step m of m", last)
	}
}

func hasChange(d *apply.Drift, key string) bool {
	for _, c := range d.Changed {
		if c.Key == key {
			return true
		}
	}
	return false
}

func (f *fixture) checkInstalled(t *testing.T, want map[string]string) {
	t.Helper()
	mods, err := f.writer.Installed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range mods {
		got[m.Name] = m.Version.String()
	}
	for m, v := range want {
		if got[m] != v {
			t.Errorf("installed %s = %s, want %s", m, got[m], v)
		}
	}
}

// checkJournal checks that the run ended in state with every step ended,
// and that its journaled output holds each of outputs.
func checkJournal(t *testing.T, f *fixture, id int64, state string, outputs ...string) *store.Run {
	t.Helper()
	r, err := f.store.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != state || r.Pending() {
		t.Errorf("run %d is %s, want %s", id, r.State, state)
	}
	var all strings.Builder
	for _, s := range r.Steps {
		if s.State == store.StepStarted || s.EndedAt == "" {
			t.Errorf("step %d %q never ended", s.N, s.Name)
		}
		all.WriteString(s.Output)
	}
	for _, o := range outputs {
		if !strings.Contains(all.String(), o) {
			t.Errorf("the journal lacks the output %q:\n%s", o, all.String())
		}
	}
	return r
}

// checkClean checks that a finished run left no staging or run folder.
func (f *fixture) checkClean(t *testing.T, id int64) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(f.dir, demo.StagingName))
	runs, _ := os.ReadDir(filepath.Join(f.state, "runs"))
	if len(entries)+len(runs) > 0 {
		t.Errorf("run %d left %d staging and %d run folders", id, len(entries), len(runs))
	}
}

// failure is an apply that must fail at one step and restore everything.
type failure struct {
	name   string
	notes  notes
	tune   func(*apply.Runner)
	step   string // the failed step's name starts so
	reason string // the error says so
}

func failures() []failure {
	good := goodNotes()
	preFails, postHangs := goodNotes(), goodNotes()
	preFails.scripts = append(preFails.scripts, sample.Script{Phase: "pre", Path: "migrations/1.1.0/b_check.sh", To: "1.1.0",
		Body: "echo checking the notes\necho 'notes are not ready' >&2\nexit 1\n"})
	postHangs.scripts = append(postHangs.scripts, sample.Script{Phase: "post", Path: "migrations/1.1.0/d_hang.sh", To: "1.1.0",
		Body: "echo waiting forever\nsleep 60 &\nwait\n"})
	broken := goodNotes()
	broken.schema += "INSERT INTO notes_no_such_table VALUES (1);\n"
	return []failure{
		{name: "pre script exits 1", notes: preFails, step: "pre notes 1.1.0: migrations/1.1.0/b_check.sh", reason: "exit status 1"},
		{name: "update raises", notes: broken, step: "update ", reason: "notes_no_such_table"},
		{name: "post script hangs", notes: postHangs, step: "post notes 1.1.0: migrations/1.1.0/d_hang.sh", reason: "script_timeout",
			tune: func(r *apply.Runner) { r.Config.ScriptTimeout = config.Duration{Duration: time.Second} }},
		{name: "health check fails", notes: good, step: "health checks", reason: "no color column",
			tune: func(r *apply.Runner) {
				r.Health = []config.HealthCheck{{Name: "no color column", SQL: "SELECT count(*) FROM pragma_table_info('notes_item') WHERE name = 'color'", Expect: "0"}}
				r.Config.HealthTimeout = config.Duration{Duration: 2 * time.Second}
			}},
	}
}

func TestFailuresRestoreTheInstanceExactly(t *testing.T) {
	for _, c := range failures() {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.notes)
			plan := f.plan(t)
			before := f.snapshot(t)
			r := f.runner(nil)
			if c.tune != nil {
				c.tune(r)
			}
			res, err := r.Apply(ctx, plan)
			if err == nil || res == nil || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("Apply = %+v, %v; want an error saying %q", res, err, c.reason)
			}
			if res.State != store.RunFailedRestored || !strings.HasPrefix(res.FailedStep, c.step) {
				t.Errorf("result = %s at %q, want failed-restored at %q", res.State, res.FailedStep, c.step)
			}
			if after := f.snapshot(t); after != before {
				t.Errorf("after the restore: database %v, files %v differ from before", after.db != before.db, after.files != before.files)
			}
			if err := f.writer.Health(ctx); err != nil {
				t.Errorf("the restored server is not healthy: %v", err)
			}
			run := checkJournal(t, f, res.Run, store.RunFailedRestored)
			if last := run.Steps[len(run.Steps)-1]; last.Name != "restore: health checks" || last.State != store.StepDone {
				t.Errorf("last journaled step = %q %s, want the restore's health checks done", last.Name, last.State)
			}
			f.checkClean(t, res.Run)
		})
	}
}

func TestRefusedBeforeAnythingChanges(t *testing.T) {
	f := newFixture(t, goodNotes())
	plan := f.plan(t)
	before := f.snapshot(t)
	pid, _ := os.ReadFile(f.pidfile)
	stale := *plan
	stale.Hash = strings.Repeat("0", 64)
	if _, err := f.runner(nil).Apply(ctx, &stale); !errors.Is(err, apply.ErrPlanChanged) {
		t.Errorf("a plan with another hash: %v, want ErrPlanChanged", err)
	}
	unlock, err := platform.LockFile(filepath.Join(f.state, apply.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.runner(nil).Apply(ctx, plan); !errors.Is(err, apply.ErrLocked) {
		t.Errorf("while the lock is held: %v, want ErrLocked", err)
	}
	unlock()
	if after := f.snapshot(t); after != before {
		t.Error("a refused apply changed the instance")
	}
	if now, _ := os.ReadFile(f.pidfile); string(now) != string(pid) {
		t.Errorf("a refused apply restarted the server (pid %s, was %s)", now, pid)
	}
	if err := f.writer.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.runner(nil).Apply(ctx, plan); !errors.Is(err, apply.ErrRefused) || !strings.Contains(err.Error(), "--force-unhealthy") {
		t.Errorf("a stopped ERP: %v, want ErrRefused naming --force-unhealthy", err)
	}
	r := f.runner(nil)
	r.ForceUnhealthy = true
	res, err := r.Apply(ctx, plan)
	if err != nil || res.State != store.RunSucceeded || len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "UNHEALTHY") {
		t.Errorf("forced: %+v, %v; want succeeded with a loud warning", res, err)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newFixture(t, goodNotes())
	plan := f.plan(t)
	before := f.snapshot(t)
	d, err := f.runner(nil).DryRun(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Problems) != 0 || d.Measured || d.Downtime <= 0 || len(d.Steps) != len(apply.Steps(plan)) {
		t.Errorf("dry run = %+v", d)
	}
	if f.snapshot(t) != before {
		t.Error("the dry run changed the instance")
	}
	if runs, _ := f.store.Runs(ctx, 10); len(runs) != 0 {
		t.Errorf("the dry run journaled %d runs", len(runs))
	}
}

// TestTwoStagePlanWithDisables applies core 2.50.20 → 2.50.22 → 3.0.0 in
// two stages (the same module folder swapped twice) with the blockers
// disabled; then the same plan with a health check that fails at the end,
// whose restore must undo both swaps and the disables.
func TestTwoStagePlanWithDisables(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(map[bool]string{false: "applied", true: "restored"}[fail], func(t *testing.T) {
			f := newFixture(t, goodNotes())
			f.options = scan.PlanOptions{IncludeUpgrades: []string{"core"}, DisableBlockers: true}
			plan := f.plan(t)
			if got := changes(plan); got != "core 2.50.22, core 3.0.0" || len(plan.Disable) != 4 {
				t.Fatalf("plan: changes %q, %d disables; want core in two stages and 4 disables", got, len(plan.Disable))
			}
			before := f.snapshot(t)
			r := f.runner(nil)
			if fail {
				r.Health = []config.HealthCheck{{SQL: "SELECT count(*) FROM ir_module_module WHERE state = 'disabled'", Expect: "0"}}
				r.Config.HealthTimeout = config.Duration{Duration: time.Second}
			}
			res, err := r.Apply(ctx, plan)
			if fail {
				if err == nil || res.State != store.RunFailedRestored || res.FailedStep != "health checks" {
					t.Fatalf("Apply = %+v, %v; want failed-restored at the health checks", res, err)
				}
				if after := f.snapshot(t); after != before {
					t.Errorf("after the restore: database %v, files %v differ from before", after.db != before.db, after.files != before.files)
				}
				f.checkInstalled(t, map[string]string{"core": "2.50.20", "arp": "1.3.0", "notes": "1.0.0"})
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			mods, _ := f.writer.Installed(ctx)
			if len(mods) != 1 || mods[0].Name != "core" || mods[0].Version.String() != "3.0.0" {
				t.Errorf("installed = %+v, want core 3.0.0 alone", mods)
			}
			if led, _ := f.store.LedgerVersions(ctx); len(led) != 1 || led["core"] != "3.0.0" {
				t.Errorf("ledger = %v, want core 3.0.0 (the disabled modules left out)", led)
			}
			f.checkClean(t, res.Run)
		})
	}
}

// lossy is the demo adapter with an update that drops part of the request
// and still succeeds: the ERP-side failure of issue 12 (the ERP's update
// ran, reported success, and left the modules as they were).
type lossy struct {
	*demo.Writer
	drop func(*erp.UpdateRequest)
}

func (l lossy) Update(ctx context.Context, req erp.UpdateRequest, log io.Writer) error {
	l.drop(&req)
	return l.Writer.Update(ctx, req, log)
}

// TestUnverifiedChangeIsRestored: an update that succeeds without doing
// what it was asked fails its step at the read-back, and the run restores.
func TestUnverifiedChangeIsRestored(t *testing.T) {
	for _, tc := range []struct {
		name    string
		options scan.PlanOptions
		drop    func(*erp.UpdateRequest)
		want    string
	}{
		{"disable", scan.PlanOptions{IncludeUpgrades: []string{"core"}, DisableBlockers: true},
			func(r *erp.UpdateRequest) { r.Disable = nil }, "is still installed, want it disabled"},
		{"update", scan.PlanOptions{},
			func(r *erp.UpdateRequest) { r.Modules = r.Modules[1:] }, "database is at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, goodNotes())
			f.options = tc.options
			plan := f.plan(t)
			before := f.snapshot(t)
			r := f.runner(nil)
			r.Writer = lossy{f.writer, tc.drop}
			res, err := r.Apply(ctx, plan)
			if err == nil || res.State != store.RunFailedRestored || !strings.HasPrefix(res.FailedStep, "update ") {
				t.Fatalf("Apply = %+v, %v; want failed-restored at an update step", res, err)
			}
			if !errors.Is(err, erp.ErrNotVerified) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v; want the read-back's %q", err, tc.want)
			}
			if after := f.snapshot(t); after != before {
				t.Errorf("after the restore: database %v, files %v differ from before", after.db != before.db, after.files != before.files)
			}
		})
	}
}
