package store

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/internal/sqlmigrate"
)

func TestRunJournal(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	id, err := s.StartRun(ctx, KindApply, "abc", []byte(`{"hash":"abc"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartRun(ctx, KindApply, "def", []byte(`{}`)); !errors.Is(err, ErrRunPending) {
		t.Fatalf("second run while one is pending: %v, want ErrRunPending", err)
	}
	must(t, s.BeginStep(ctx, id, 1, "preflight"))
	must(t, s.EndStep(ctx, id, 1, "ok\n", nil))
	must(t, s.BeginStep(ctx, id, 2, "backup"))
	must(t, s.SetRunBackup(ctx, id, []byte(`{"method":"sqlite-file"}`)))
	must(t, s.EndStep(ctx, id, 2, strings.Repeat("x", OutputLimit+10), errors.New("disk full")))
	if err := s.EndStep(ctx, id, 9, "", nil); err == nil {
		t.Error("ending a step never started was accepted")
	}
	p, err := s.PendingRun(ctx)
	if err != nil || p == nil || p.ID != id || p.State != RunRunning || len(p.Steps) != 2 || p.NextStep() != 3 {
		t.Fatalf("pending run = %+v, %v", p, err)
	}
	st := p.Step(2)
	if st.State != StepFailed || st.Error != "disk full" || len(st.Output) > OutputLimit+64 || !strings.HasPrefix(st.Output, "[… 10 bytes cut]") {
		t.Errorf("step 2 = %s %q, output %d bytes starting %.20q", st.State, st.Error, len(st.Output), st.Output)
	}
	if p.Backup != `{"method":"sqlite-file"}` {
		t.Errorf("backup = %q", p.Backup)
	}
	must(t, s.SetRunRestoring(ctx, id, "backup", "disk full"))
	must(t, s.FinishRun(ctx, id, RunEnd{State: RunRestoreFailed, FailedStep: "backup", Error: "disk full", RestoreError: "restore: boom"}, nil))
	if p, _ := s.PendingRun(ctx); p == nil || p.State != RunRestoreFailed || p.RestoreError != "restore: boom" || p.Error != "disk full" {
		t.Fatalf("a restore-failed run must stay pending with both errors: %+v", p)
	}
	if _, err := s.StartRun(ctx, KindApply, "def", []byte(`{}`)); !errors.Is(err, ErrRunPending) {
		t.Fatalf("a run while one failed to restore: %v, want ErrRunPending", err)
	}
	must(t, s.SetRunRestoring(ctx, id, "backup", "disk full")) // a retry
	must(t, s.FinishRun(ctx, id, RunEnd{State: RunFailedRestored, FailedStep: "backup", Error: "disk full"}, nil))
	if p, _ := s.PendingRun(ctx); p != nil {
		t.Errorf("pending after finish: %+v", p)
	}
	if err := s.FinishRun(ctx, id, RunEnd{State: RunSucceeded}, nil); err == nil {
		t.Error("a finished run was finished again")
	}
	id2, err := s.StartRun(ctx, KindRehearse, "def", []byte(`{}`))
	if err != nil {
		t.Fatalf("a run after the first finished: %v", err)
	}
	runs, _ := s.Runs(ctx, 10)
	if len(runs) != 2 || runs[0].ID != id2 || runs[1].FailedStep != "backup" || runs[1].State != RunFailedRestored {
		t.Errorf("history = %+v", runs)
	}
	if _, err := s.Run(ctx, 99); !errors.Is(err, ErrNoRun) {
		t.Errorf("Run(99) = %v, want ErrNoRun", err)
	}
}

func TestFinishRunRecordsTheLedgerAtomically(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	id, _ := s.StartRun(ctx, KindApply, "h", []byte(`{}`))
	bad := []LedgerEntry{{Module: "arp", Version: "1.4.0", Action: "updated"}, {Module: "core", Version: "2.50.22", Action: "bogus"}}
	if err := s.FinishRun(ctx, id, RunEnd{State: RunSucceeded}, bad); err == nil {
		t.Fatal("a bad ledger action was accepted")
	}
	if p, _ := s.PendingRun(ctx); p == nil || p.State != RunRunning {
		t.Fatalf("after a failed finish the run is %+v, want still running", p)
	}
	if v, _ := s.LedgerVersions(ctx); len(v) != 0 {
		t.Fatalf("ledger after a failed finish = %v, want empty", v)
	}
	good := []LedgerEntry{{Module: "arp", Version: "1.4.0", Action: "updated", PlanHash: "h"}, {Module: "reports", Version: "0.9.0", Action: "disabled", PlanHash: "h"}}
	must(t, s.FinishRun(ctx, id, RunEnd{State: RunSucceeded, Drift: []byte(`{"changed":[]}`)}, good))
	v, _ := s.LedgerVersions(ctx)
	if len(v) != 1 || v["arp"] != "1.4.0" {
		t.Errorf("ledger = %v, want arp 1.4.0 only", v)
	}
	r, _ := s.Run(ctx, id)
	if r.State != RunSucceeded || r.Drift != `{"changed":[]}` || r.EndedAt == "" {
		t.Errorf("run = %+v", r)
	}
}

func TestStoreIsDurable(t *testing.T) {
	s := open(t)
	var sync, mode string
	must(t, s.db.Get(&sync, "PRAGMA synchronous"))
	must(t, s.db.Get(&mode, "PRAGMA journal_mode"))
	if sync != "2" || mode != "wal" {
		t.Errorf("synchronous = %s, journal_mode = %s; want 2 (FULL) and wal", sync, mode)
	}
}

// TestJournalSurvivesSIGKILL begins a step in a child process that then
// kills itself with SIGKILL: the step is in the journal when it is reopened.
func TestJournalSurvivesSIGKILL(t *testing.T) {
	ctx := t.Context()
	if dir := os.Getenv("STORE_TEST_KILL_DIR"); dir != "" {
		s, err := Open(dir, nil)
		if err != nil {
			os.Exit(5)
		}
		id, err := s.StartRun(ctx, KindApply, "h", []byte(`{}`))
		if err != nil || s.BeginStep(ctx, id, 1, "stop") != nil {
			os.Exit(6)
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalSurvivesSIGKILL$")
	cmd.Env = append(os.Environ(), "STORE_TEST_KILL_DIR="+dir)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL", err)
	}
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.PendingRun(ctx)
	if err != nil || p == nil || len(p.Steps) != 1 || p.Steps[0].Name != "stop" || p.Steps[0].State != StepStarted {
		t.Fatalf("after SIGKILL: pending run %+v, %v; want step 1 'stop' started", p, err)
	}
}

func TestTail(t *testing.T) {
	if got := Tail("héllo", 10); got != "héllo" {
		t.Errorf("short = %q", got)
	}
	if got := Tail("aé", 1); got != "[… 3 bytes cut]\n" {
		t.Errorf("cut inside a character = %q", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunsRecordWhoStartedThem(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	id, err := s.StartRun(WithRunBy(ctx, "alice"), KindApply, "h1", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.FinishRun(ctx, id, RunEnd{State: RunSucceeded}, nil))
	id2, err := s.StartRun(ctx, KindRehearse, "h2", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Run(ctx, id); err != nil || r.By != "alice" {
		t.Errorf("run %d: %+v, %v; want it started by alice", id, r, err)
	}
	runs, err := s.Runs(ctx, 10)
	if err != nil || len(runs) != 2 || runs[0].ID != id2 || runs[0].By != "" || runs[1].By != "alice" {
		t.Errorf("runs = %+v, %v; want run %d by nobody named, then run %d by alice", runs, err, id2, id)
	}
}

// TestRunsFromBeforeTheByColumnKeepTheirHistory opens a database made by
// the migrations before 004 with a run in it.
func TestRunsFromBeforeTheByColumnKeepTheirHistory(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sqlx.Open("sqlite3", "file:"+filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	old := fstest.MapFS{}
	for _, name := range []string{"001_init.sql", "002_runs.sql", "003_events.sql"} {
		body, err := fs.ReadFile(migrations, "migrations/"+name)
		if err != nil {
			t.Fatal(err)
		}
		old["migrations/"+name] = &fstest.MapFile{Data: body}
	}
	must(t, sqlmigrate.Apply(db, old, "migrations/*.sql"))
	if _, err := db.Exec(`INSERT INTO runs (plan_hash, plan_json, kind, state, started_at) VALUES ('h', '{}', 'apply', 'succeeded', '2026-11-22T03:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatalf("open a version 3 database: %v", err)
	}
	defer s.Close()
	runs, err := s.Runs(ctx, 10)
	if err != nil || len(runs) != 1 || runs[0].By != "" || runs[0].State != RunSucceeded {
		t.Errorf("runs after the migration = %+v, %v", runs, err)
	}
}

// TestRestoredApplies keeps the applies restored after touching the ERP:
// not one stopped at its download, nor a rehearsal, nor a success.
func TestRestoredApplies(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	ends := []struct {
		kind string
		end  RunEnd
	}{
		{KindApply, RunEnd{State: RunFailedRestored, FailedStep: "update core", Error: "exit 1"}},
		{KindApply, RunEnd{State: RunFailedRestored, FailedStep: "download and verify 2 archives", Error: "HTTP 403"}},
		{KindRehearse, RunEnd{State: RunFailedRestored, FailedStep: "update core", Error: "exit 1"}},
		{KindApply, RunEnd{State: RunSucceeded}},
		{KindApply, RunEnd{State: RunFailedRestored, FailedStep: "health checks", Error: "refused"}},
	}
	for _, e := range ends {
		id, err := s.StartRun(ctx, e.kind, "h", []byte(`{}`))
		must(t, err)
		must(t, s.FinishRun(ctx, id, e.end, nil))
	}
	runs, err := s.RestoredApplies(ctx)
	must(t, err)
	var ids []int64
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []int64{1, 5}) {
		t.Errorf("restored applies: runs %v, want [1 5]", ids)
	}
}
