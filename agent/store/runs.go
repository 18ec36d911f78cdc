package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-sqlite3"
)

// Run kinds.
const (
	KindApply    = "apply"
	KindRehearse = "rehearse"
)

// Run states. Running and restoring are unfinished (a crash left them so);
// restore-failed is finished but still needs attention. Until a run in one
// of these three states is resolved, no other run starts.
const (
	RunRunning        = "running"
	RunRestoring      = "restoring"
	RunSucceeded      = "succeeded"
	RunFailedRestored = "failed-restored" // the instance is exactly as before
	RunRestoreFailed  = "restore-failed"  // the backup is kept; the error says what to run
)

// Step states.
const (
	StepStarted = "started"
	StepDone    = "done"
	StepFailed  = "failed"
)

// OutputLimit is how many bytes of a step's output the journal keeps (the last ones).
const OutputLimit = 64 << 10

// ErrNoRun says no run has the id asked for.
var ErrNoRun = errors.New("no such run")

// ErrRunPending says a run needs attention before another can start.
var ErrRunPending = errors.New("another run is unfinished or failed to restore")

// Run is one apply or rehearsal of a plan, as journaled.
type Run struct {
	ID         int64  `db:"id" json:"id"`
	PlanHash   string `db:"plan_hash" json:"plan_hash"`
	Plan       string `db:"plan_json" json:"-"`
	Kind       string `db:"kind" json:"kind"`
	State      string `db:"state" json:"state"`
	By         string `db:"started_by" json:"by,omitempty"` // who started it (WithRunBy); "" for runs before it was recorded
	StartedAt  string `db:"started_at" json:"started_at"`
	EndedAt    string `db:"ended_at" json:"ended_at,omitempty"`
	FailedStep string `db:"failed_step" json:"failed_step,omitempty"`
	Error      string `db:"error" json:"error,omitempty"`
	// RestoreError says why the restore failed and what to run (restore-failed).
	RestoreError string    `db:"restore_error" json:"restore_error,omitempty"`
	Preflight    string    `db:"preflight_json" json:"-"`
	Drift        string    `db:"drift_json" json:"-"`
	Backup       string    `db:"backup_json" json:"-"`
	Steps        []RunStep `db:"-" json:"steps,omitempty"`
}

// Pending reports whether the run blocks others: unfinished, or its restore failed.
func (r *Run) Pending() bool {
	return r.State == RunRunning || r.State == RunRestoring || r.State == RunRestoreFailed
}

// Step returns the journaled step n, or nil.
func (r *Run) Step(n int) *RunStep {
	for i := range r.Steps {
		if r.Steps[i].N == n {
			return &r.Steps[i]
		}
	}
	return nil
}

// NextStep is the number the next journaled step takes.
func (r *Run) NextStep() int {
	n := 1
	for _, s := range r.Steps {
		n = max(n, s.N+1)
	}
	return n
}

// RunStep is one journaled step of a run.
type RunStep struct {
	RunID     int64  `db:"run_id" json:"-"`
	N         int    `db:"n" json:"n"`
	Name      string `db:"name" json:"name"`
	State     string `db:"state" json:"state"`
	StartedAt string `db:"started_at" json:"started_at"`
	EndedAt   string `db:"ended_at" json:"ended_at,omitempty"`
	Output    string `db:"output" json:"output,omitempty"`
	Error     string `db:"error" json:"error,omitempty"`
}

// Duration is the time from start to end (zero while unfinished).
func (s RunStep) Duration() time.Duration { return span(s.StartedAt, s.EndedAt) }

// Duration is the run's time from start to end (zero while unfinished).
func (r Run) Duration() time.Duration { return span(r.StartedAt, r.EndedAt) }

func span(from, to string) time.Duration {
	a, err1 := time.Parse(time.RFC3339Nano, from)
	b, err2 := time.Parse(time.RFC3339Nano, to)
	if err1 != nil || err2 != nil {
		return 0
	}
	return b.Sub(a)
}

func (s *Store) precise() string { return s.now().UTC().Format(time.RFC3339Nano) }

// runByKey carries who starts a run through the runner to StartRun.
type runByKey struct{}

// WithRunBy returns ctx carrying who starts the runs made with it (a user
// name, "schedule"): StartRun records it.
func WithRunBy(ctx context.Context, by string) context.Context {
	return context.WithValue(ctx, runByKey{}, by)
}

// StartRun journals a new run in state running, started by whom ctx says
// (WithRunBy). It fails with ErrRunPending while another run is pending
// (the database allows one).
func (s *Store) StartRun(ctx context.Context, kind, planHash string, plan []byte) (int64, error) {
	by, _ := ctx.Value(runByKey{}).(string)
	res, err := s.db.ExecContext(ctx, `INSERT INTO runs (plan_hash, plan_json, kind, state, started_at, started_by) VALUES (?, ?, ?, ?, ?, ?)`,
		planHash, string(plan), kind, RunRunning, s.precise(), by)
	var se sqlite3.Error
	if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique {
		return 0, fmt.Errorf("start a run: %w: finish it first (upkeep apply --recover-only)", ErrRunPending)
	}
	if DiskFull(err) {
		return 0, fmt.Errorf("start a run: %w: the disk of the state folder %s is full, so the run cannot be journaled and nothing was started; free room on that disk and try again", err, s.dir)
	}
	if err != nil {
		return 0, fmt.Errorf("start a run: %w", err)
	}
	return res.LastInsertId()
}

// BeginStep journals that step n of run starts; it is committed (and
// synced) before it returns, so a crash after it is seen by Recover.
func (s *Store) BeginStep(ctx context.Context, run int64, n int, name string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO run_steps (run_id, n, name, state, started_at) VALUES (?, ?, ?, ?, ?)`,
		run, n, name, StepStarted, s.precise())
	if err != nil {
		return fmt.Errorf("journal the start of step %d (%s) of run %d: %w", n, name, run, err)
	}
	return nil
}

// EndStep journals that step n of run ended: done when stepErr is nil,
// else failed with its message. Only the last OutputLimit bytes of output are kept.
func (s *Store) EndStep(ctx context.Context, run int64, n int, output string, stepErr error) error {
	state, msg := StepDone, ""
	if stepErr != nil {
		state, msg = StepFailed, stepErr.Error()
	}
	res, err := s.db.ExecContext(ctx, `UPDATE run_steps SET state = ?, ended_at = ?, output = ?, error = ? WHERE run_id = ? AND n = ?`,
		state, s.precise(), Tail(output, OutputLimit), msg, run, n)
	if err != nil {
		return fmt.Errorf("journal the end of step %d of run %d: %w", n, run, err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return fmt.Errorf("journal the end of step %d of run %d: the step was never started", n, run)
	}
	return nil
}

// Tail returns the last limit bytes of s (cut at a character boundary),
// saying how much was cut.
func Tail(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := len(s) - limit
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return fmt.Sprintf("[… %d bytes cut]\n", cut) + s[cut:]
}

// SetRunRestoring journals that a pending run is being restored after
// failedStep failed with cause (kept as the run's error).
func (s *Store) SetRunRestoring(ctx context.Context, run int64, failedStep, cause string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET state = ?, failed_step = ?, error = ? WHERE id = ? AND state IN (?, ?, ?)`,
		RunRestoring, failedStep, cause, run, RunRunning, RunRestoring, RunRestoreFailed)
	if err != nil {
		return fmt.Errorf("journal the restore of run %d: %w", run, err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return fmt.Errorf("journal the restore of run %d: it is not pending (or %w)", run, ErrNoRun)
	}
	return nil
}

// SetRunPreflight keeps what preflight found (the runner's JSON: the
// settings snapshot taken before the stop, the ERP's health).
func (s *Store) SetRunPreflight(ctx context.Context, run int64, data []byte) error {
	return s.setRun(ctx, run, "preflight_json", string(data))
}

// SetRunPlan replaces the run's plan with the one preflight verified
// (the same hash, freshly computed).
func (s *Store) SetRunPlan(ctx context.Context, run int64, plan []byte) error {
	return s.setRun(ctx, run, "plan_json", string(plan))
}

// SetRunBackup keeps the verified backup's description (erp.Backup JSON).
func (s *Store) SetRunBackup(ctx context.Context, run int64, data []byte) error {
	return s.setRun(ctx, run, "backup_json", string(data))
}

// setRun sets one column (a name from this file, never user input).
func (s *Store) setRun(ctx context.Context, run int64, column, value string) error {
	res, err := s.db.ExecContext(ctx, "UPDATE runs SET "+column+" = ? WHERE id = ?", value, run)
	if err != nil {
		return fmt.Errorf("journal %s of run %d: %w", column, run, err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return fmt.Errorf("journal %s of run %d: %w", column, run, ErrNoRun)
	}
	return nil
}

// RunEnd is how a run ended.
type RunEnd struct {
	State        string // succeeded, failed-restored or restore-failed
	FailedStep   string
	Error        string
	RestoreError string // restore-failed: why, and what to run
	Drift        []byte // the settings drift report (JSON), when the run got that far
}

// FinishRun records the end of a pending run and appends ledger to the
// ledger, in one transaction: a crash leaves both or neither.
func (s *Store) FinishRun(ctx context.Context, run int64, end RunEnd, ledger []LedgerEntry) error {
	if end.State != RunSucceeded && end.State != RunFailedRestored && end.State != RunRestoreFailed {
		return fmt.Errorf("finish run %d: %q is not an end state", run, end.State)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish run %d: begin: %w", run, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE runs SET state = ?, ended_at = ?, failed_step = ?, error = ?, restore_error = ?, drift_json = ?
		WHERE id = ? AND state IN (?, ?, ?)`, end.State, s.precise(), end.FailedStep, end.Error, end.RestoreError, string(end.Drift),
		run, RunRunning, RunRestoring, RunRestoreFailed)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", run, err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return fmt.Errorf("finish run %d: it is not pending (already finished, or %w)", run, ErrNoRun)
	}
	for _, e := range ledger {
		if _, err := tx.ExecContext(ctx, "INSERT INTO ledger (module, version, action, plan_hash, at) VALUES (?, ?, ?, ?, ?)",
			e.Module, e.Version, e.Action, e.PlanHash, s.stamp()); err != nil {
			return fmt.Errorf("record %s %s in the ledger: %w", e.Module, e.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish run %d: commit: %w", run, err)
	}
	return nil
}

// PendingRun returns the run that blocks others (running, restoring or
// restore-failed) with its steps, or nil when there is none.
func (s *Store) PendingRun(ctx context.Context) (*Run, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, "SELECT id FROM runs WHERE state IN (?, ?, ?) ORDER BY id LIMIT 1",
		RunRunning, RunRestoring, RunRestoreFailed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look for an unfinished run: %w", err)
	}
	return s.Run(ctx, id)
}

const runColumns = "id, plan_hash, plan_json, kind, state, started_by, started_at, ended_at, failed_step, error, restore_error, preflight_json, drift_json, backup_json"

// Run returns run id with its steps.
func (s *Store) Run(ctx context.Context, id int64) (*Run, error) {
	var r Run
	err := s.db.GetContext(ctx, &r, "SELECT "+runColumns+" FROM runs WHERE id = ?", id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("run %d: %w (list the runs with upkeep history)", id, ErrNoRun)
	}
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	err = s.db.SelectContext(ctx, &r.Steps, `SELECT run_id, n, name, state, started_at, ended_at, output, error
		FROM run_steps WHERE run_id = ? ORDER BY n`, id)
	if err != nil {
		return nil, fmt.Errorf("read the steps of run %d: %w", id, err)
	}
	return &r, nil
}

// Runs returns the last n runs, newest first, without their steps.
func (s *Store) Runs(ctx context.Context, n int) ([]Run, error) {
	var out []Run
	if err := s.db.SelectContext(ctx, &out, "SELECT "+runColumns+" FROM runs ORDER BY id DESC LIMIT ?", n); err != nil {
		return nil, fmt.Errorf("read the run history: %w", err)
	}
	return out, nil
}

// BeforeTheERP says a run that failed at step had not touched the ERP yet
// (preflight, downloads, or a run stopped before its first step): nothing
// was changed, so nothing was restored.
func BeforeTheERP(step string) bool {
	return step == "" || strings.HasPrefix(step, "preflight") || strings.HasPrefix(step, "download") ||
		strings.Contains(step, "before the first step")
}

// RestoredApplies returns the applies that failed after touching the ERP
// and were restored (failed-restored, not BeforeTheERP), oldest first,
// without their steps.
func (s *Store) RestoredApplies(ctx context.Context) ([]Run, error) {
	var runs []Run
	if err := s.db.SelectContext(ctx, &runs, "SELECT "+runColumns+" FROM runs WHERE kind = ? AND state = ? ORDER BY id",
		KindApply, RunFailedRestored); err != nil {
		return nil, fmt.Errorf("read the restored runs: %w", err)
	}
	return slices.DeleteFunc(runs, func(r Run) bool { return BeforeTheERP(r.FailedStep) }), nil
}
