package apply_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/command"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// rehearsalNotes is notes 1.1.0 with scripts every adapter runs: a .sql pre
// script adds a column, a .sql post script fills it, a .sh post script
// reports; failing adds a last post script that exits 1.
func rehearsalNotes(failing bool) notes {
	n := notes{
		schema: notesSchema10 + "CREATE TABLE IF NOT EXISTS notes_tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
		scripts: []sample.Script{
			{Phase: "pre", Path: "migrations/1.1.0/a_color.sql", To: "1.1.0", Body: "ALTER TABLE notes_item ADD COLUMN color TEXT NOT NULL DEFAULT 'none';\n"},
			{Phase: "post", Path: "migrations/1.1.0/b_fill.sql", To: "1.1.0", Body: "UPDATE notes_item SET color = 'blue' WHERE id = 1;\n"},
			{Phase: "post", Path: "migrations/1.1.0/c_done.sh", To: "1.1.0", Body: "echo \"post done in $(basename \"$PWD\")\"\n"},
		},
	}
	if failing {
		n.scripts = append(n.scripts, sample.Script{Phase: "post", Path: "migrations/1.1.0/d_fail.sh", To: "1.1.0", Body: "echo 'the check of the new data failed' >&2\nexit 1\n"})
	}
	return n
}

// production is what a rehearsal must leave exactly as it was: the
// database's content and bytes, the instance folder's tree, the server's
// process and its start time.
type production struct {
	db, tree, dbFile string
	dbTime           time.Time
	pid              int
	started          string // platform.ProcessToken: the start time in clock ticks
}

func (f *fixture) production(t *testing.T) production {
	t.Helper()
	// The apply runner's recovery creates the adapter's staging folder;
	// anything in it would be a change.
	if entries, err := os.ReadDir(filepath.Join(f.dir, demo.StagingName)); err == nil && len(entries) == 0 {
		os.Remove(filepath.Join(f.dir, demo.StagingName))
	}
	p := production{db: f.snapshot(t).db, tree: treeHash(t, f.dir)}
	st, err := os.Stat(demoerp.DBPath(f.dir))
	if err != nil {
		t.Fatal(err)
	}
	p.dbTime = st.ModTime()
	if p.dbFile, _, err = dbcopy.FileSHA256(demoerp.DBPath(f.dir)); err != nil {
		t.Fatal(err)
	}
	pidText, err := os.ReadFile(f.pidfile)
	if err != nil {
		t.Fatal(err)
	}
	if p.pid, err = proc.ParsePID(pidText); err != nil {
		t.Fatal(err)
	}
	if p.started, err = platform.ProcessToken(p.pid); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkUntouched compares production with before and checks it is healthy.
func (f *fixture) checkUntouched(t *testing.T, before production) {
	t.Helper()
	after := f.production(t)
	if after.db != before.db || after.dbFile != before.dbFile || !after.dbTime.Equal(before.dbTime) {
		t.Errorf("production's database changed: checksum %s → %s, mtime %s → %s", before.db, after.db, before.dbTime, after.dbTime)
	}
	if after.tree != before.tree {
		t.Error("production's instance folder (module folders, database file) changed")
	}
	if after.pid != before.pid || after.started != before.started {
		t.Errorf("production's server was restarted: pid %d started %s, now pid %d started %s", before.pid, before.started, after.pid, after.started)
	}
	if err := f.writer.Health(ctx); err != nil {
		t.Errorf("production is not healthy after the rehearsal: %v", err)
	}
}

// copyWatch records, while a rehearsal runs, the copy's server and what
// neutralization left in the copy's database.
type copyWatch struct {
	mu          sync.Mutex
	state       string
	pid         int
	cron, mail  string
	copyDBFound bool
}

func (w *copyWatch) event(e apply.Event) {
	if e.Phase != apply.PhaseDone || !strings.HasPrefix(e.Name, "rehearse: start the copy") {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	copyDir := filepath.Join(w.state, "runs", strconv.FormatInt(e.Run, 10), "copy")
	if data, err := os.ReadFile(filepath.Join(copyDir, "server.pid")); err == nil {
		w.pid, _ = proc.ParsePID(data)
	}
	db, err := sqlx.Open("sqlite3", demoerp.DSN(demoerp.DBPath(copyDir), "mode=ro"))
	if err != nil {
		return
	}
	defer db.Close()
	w.copyDBFound = db.Get(&w.cron, "SELECT count(*) FROM ir_cron WHERE active") == nil &&
		db.Get(&w.mail, "SELECT count(*) FROM ir_mail_server WHERE active") == nil
}

// adapters are the production writers a rehearsal is tried with: the demo
// adapter, and the command adapter over the same demo ERP.
var adapters = map[string]func(t *testing.T, f *fixture) erp.Writer{
	"demo": func(_ *testing.T, f *fixture) erp.Writer { return f.writer },
	"command": func(t *testing.T, f *fixture) erp.Writer {
		a, err := command.New(config.Command{
			Database:   "sqlite://" + filepath.ToSlash(demoerp.DBPath(f.dir)),
			ModulesDir: filepath.Join(f.dir, demoerp.AddonsDir),
			Update:     []string{bins.demoERP, "update", "--dir", f.dir, "-u", "{modules}", "-i", "{install}", "--disable", "{disable}"},
			Rehearsal: config.RehearsalCommand{
				Start:  []string{bins.demoERP, "--dir", "{dir}", "serve", "--addr", "127.0.0.1:{port}", "--pidfile", "{pidfile}"},
				Update: []string{bins.demoERP, "update", "--dir", "{dir}", "-u", "{modules}", "-i", "{install}", "--disable", "{disable}"},
			},
		}, f.writer)
		if err != nil {
			t.Fatal(err)
		}
		return a
	},
}

// rehearse rehearses f's plan on a copy made by the production writer w.
func rehearse(t *testing.T, f *fixture, w erp.Writer) (*apply.RehearsalResult, *copyWatch, error) {
	t.Helper()
	watch := &copyWatch{state: f.state}
	r := f.runner(nil)
	r.Writer, r.Progress = w, watch.event
	r.Health = []config.HealthCheck{{Name: "partners", SQL: "SELECT count(*) > 0 FROM res_partner", Expect: "1"},
		{Name: "production's page", URL: "http://" + f.addr + "/health"}}
	target, err := apply.NewTarget(w, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Rehearse(ctx, f.plan(t), target)
	return res, watch, err
}

// checkCopyGone checks that the copy's folder and server are gone.
func checkCopyGone(t *testing.T, f *fixture, run int64, pid int) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(f.state, "runs", strconv.FormatInt(run, 10))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the rehearsal's folder is still there (%v)", err)
	}
	if pid == 0 {
		t.Error("the copy's server was never seen running")
	} else if platform.ProcessAlive(pid) {
		t.Errorf("the copy's server (pid %d) still runs", pid)
	}
}

func TestRehearsePasses(t *testing.T) {
	for name, open := range adapters {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, rehearsalNotes(false))
			before := f.production(t)
			res, watch, err := rehearse(t, f, open(t, f))
			if err != nil || !res.Passed || res.State != store.RunSucceeded || res.On != apply.OnCopy {
				t.Fatalf("Rehearse: %v\n%+v", err, res)
			}
			f.checkUntouched(t, before)
			checkCopyGone(t, f, res.Run, watch.pid)
			if !watch.copyDBFound || watch.cron != "0" || watch.mail != "0" {
				t.Errorf("the copy's active scheduled jobs %q and mail servers %q (read: %v), want 0 and 0", watch.cron, watch.mail, watch.copyDBFound)
			}
			if v, _ := f.query(t, "SELECT count(*) FROM ir_cron WHERE active"); v == "0" {
				t.Error("production's scheduled jobs were deactivated")
			}
			checkTimings(t, res, "rehearse: copy", "pre notes 1.1.0", "post notes 1.1.0: migrations/1.1.0/b_fill.sql", "health checks", "rehearse: stop the copy")
			if res.Drift == nil || name == "demo" && !hasChange(res.Drift, "arp_settings/1") || res.Downtime <= 0 {
				t.Errorf("drift %+v, downtime %s: want a drift report (the demo adapter's with arp 1.4.0's change of arp_settings) and a measured downtime", res.Drift, res.Downtime)
			}
			if !strings.Contains(strings.Join(res.Warnings, "\n"), "production's page") {
				t.Errorf("warnings %q: want the skipped URL check named", res.Warnings)
			}
			run, err := apply.PassedRehearsal(ctx, f.store, res.PlanHash)
			if err != nil || run == nil || run.ID != res.Run || run.Kind != store.KindRehearse {
				t.Errorf("PassedRehearsal = %+v, %v; want run %d", run, err, res.Run)
			}
			if led, _ := f.store.LedgerVersions(ctx); len(led) != 0 {
				t.Errorf("a rehearsal wrote the ledger: %v", led)
			}
		})
	}
}

func TestRehearseFailsAndLeavesProductionUntouched(t *testing.T) {
	for name, open := range adapters {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, rehearsalNotes(true))
			before := f.production(t)
			res, watch, err := rehearse(t, f, open(t, f))
			if !errors.Is(err, apply.ErrRehearsalFailed) || res == nil || res.Passed || res.State != store.RunFailedRestored {
				t.Fatalf("Rehearse: %v\n%+v; want a failed rehearsal", err, res)
			}
			if want := "post notes 1.1.0: migrations/1.1.0/d_fail.sh"; res.FailedStep != want || !strings.Contains(err.Error(), "production was not touched") {
				t.Errorf("failed step %q (%v), want %q", res.FailedStep, err, want)
			}
			f.checkUntouched(t, before)
			checkCopyGone(t, f, res.Run, watch.pid)
			checkTimings(t, res, "post notes 1.1.0: migrations/1.1.0/d_fail.sh", "rehearse: stop the copy")
			if run, _ := apply.PassedRehearsal(ctx, f.store, res.PlanHash); run != nil {
				t.Errorf("a failed rehearsal counts as passed: %+v", run)
			}
			if err := apply.RequireRehearsal(ctx, f.store, res.PlanHash); !errors.Is(err, apply.ErrNotRehearsed) {
				t.Errorf("RequireRehearsal after a failed rehearsal: %v", err)
			}
		})
	}
}

// checkTimings checks that the named steps are journaled with a duration.
func checkTimings(t *testing.T, res *apply.RehearsalResult, prefixes ...string) {
	t.Helper()
	for _, p := range prefixes {
		found := false
		for _, s := range res.Steps {
			if strings.HasPrefix(s.Name, p) && s.Took > 0 {
				found = true
			}
		}
		if !found {
			t.Errorf("no timed step %q among %+v", p, res.Steps)
		}
	}
}

// TestRehearseOnTestInstance rehearses on a second instance: it passes
// there, the test instance is put back as it was, production is untouched;
// and a failing rehearsal puts it back too.
func TestRehearseOnTestInstance(t *testing.T) {
	for _, failing := range []bool{false, true} {
		t.Run(map[bool]string{false: "passing", true: "failing"}[failing], func(t *testing.T) {
			f := newFixture(t, rehearsalNotes(failing))
			test := f.newInstance(t)
			if err := test.writer.Neutralize(ctx); err != nil { // a test instance stays neutralized after a rehearsal
				t.Fatal(err)
			}
			before, testBefore := f.production(t), test.snapshot(t)
			r := f.runner(nil)
			target, err := apply.NewTarget(f.writer, test.writer, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Rehearse(ctx, f.plan(t), target)
			if res == nil || res.Passed == failing || res.On != apply.OnTestInstance || (err != nil) != failing {
				t.Fatalf("Rehearse: %v\n%+v", err, res)
			}
			f.checkUntouched(t, before)
			if after := test.snapshot(t); after != testBefore {
				t.Errorf("the test instance was not put back: database %v, files %v differ", after.db != testBefore.db, after.files != testBefore.files)
			}
			test.waitHealthy(t)
			checkTimings(t, res, "rehearse: neutralize the test instance", "rehearse: put the test instance back")
			if _, err := os.Stat(filepath.Join(f.state, "runs", strconv.FormatInt(res.Run, 10))); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the rehearsal's backup folder is still there (%v)", err)
			}
		})
	}
}

// TestRehearseRefusals: an empty plan, no target, a test instance that
// does not hold production's modules, and a pending apply.
func TestRehearseRefusals(t *testing.T) {
	f := newFixture(t, rehearsalNotes(false))
	r := f.runner(nil)
	plan := f.plan(t)
	if _, err := r.Rehearse(ctx, plan, apply.Target{}); err == nil {
		t.Error("Rehearse without a target succeeded")
	}
	empty := *plan
	empty.Changes, empty.Disable = nil, nil
	if _, err := r.Rehearse(ctx, &empty, apply.Target{Cloner: f.writer}); !errors.Is(err, apply.ErrRefused) {
		t.Errorf("an empty plan: %v, want ErrRefused", err)
	}
	other := f.newInstance(t)
	if err := other.writer.ExecSQL(ctx, "UPDATE ir_module_module SET state = 'uninstalled' WHERE name = 'reports'"); err != nil {
		t.Fatal(err)
	}
	res, err := r.Rehearse(ctx, plan, apply.Target{Instance: other.writer})
	if !errors.Is(err, apply.ErrRehearsalFailed) || res == nil || !strings.Contains(res.Error, "refresh the test instance") {
		t.Errorf("a test instance without reports: %v, %+v", err, res)
	}
	if _, err := f.store.StartRun(ctx, store.KindApply, plan.Hash, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Rehearse(ctx, plan, apply.Target{Cloner: f.writer}); !errors.Is(err, apply.ErrRefused) || !strings.Contains(err.Error(), "recover-only") {
		t.Errorf("with an apply pending: %v, want a refusal naming upkeep apply --recover-only", err)
	}
}

// TestRecoverRehearsalLeavesAppliesAlone: a rehearsal journaled without a
// step (killed at once) is recorded as failed without a warning; an
// unfinished apply is left to Recover.
func TestRecoverRehearsalLeavesAppliesAlone(t *testing.T) {
	f := newFixture(t, rehearsalNotes(false))
	r := f.runner(nil)
	id, err := f.store.StartRun(ctx, store.KindRehearse, "h", []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.RecoverRehearsal(ctx, apply.Target{})
	if err != nil || res == nil || res.Run != id || res.State != store.RunFailedRestored || len(res.Warnings) != 0 {
		t.Fatalf("RecoverRehearsal of a stepless rehearsal: %+v, %v", res, err)
	}
	applyID, err := f.store.StartRun(ctx, store.KindApply, "h", []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.RecoverRehearsal(ctx, apply.Target{Cloner: f.writer}); res != nil || err != nil {
		t.Errorf("RecoverRehearsal with an apply pending: %+v, %v; want nothing done", res, err)
	}
	if p, _ := f.store.PendingRun(ctx); p == nil || p.ID != applyID {
		t.Errorf("the pending apply: %+v", p)
	}
}
