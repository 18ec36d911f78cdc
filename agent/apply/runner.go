package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

// Fetcher downloads one archive into dst and verifies its length and
// sha256 against ref; *fetch.Client is one.
type Fetcher interface {
	Archive(ctx context.Context, ref catalog.ArchiveRef, dst string) error
}

// Runner applies plans to one ERP, journaling every step in the agent's store.
type Runner struct {
	Writer   erp.Writer
	Store    *store.Store
	StateDir string // holds apply.lock and runs/<id>/ (archives, backup)
	// FetcherFor returns the fetcher of a plan change's repository.
	FetcherFor func(repository string) (Fetcher, error)
	// Rescan plans again from the current metadata and installed set; the
	// plan applied must have the same hash, and the fresh plan is what runs.
	Rescan func(ctx context.Context) (*scan.Plan, error)
	Health []config.HealthCheck // configured checks, after the adapter's own
	Config config.Apply         // timeouts
	// ForceUnhealthy applies even when the ERP fails its health check
	// before anything starts; the run says so loudly.
	ForceUnhealthy bool
	// Progress receives the run's events (nil: none); it must not block long.
	Progress func(Event)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Errors a caller branches on.
var (
	// ErrLocked says another apply holds the lock.
	ErrLocked = errors.New("another apply is running")
	// ErrPlanChanged says the plan no longer matches a fresh scan.
	ErrPlanChanged = errors.New("the plan no longer matches the current metadata and installed modules")
	// ErrRefused says preflight refused the plan; nothing was changed.
	ErrRefused = errors.New("preflight refused the plan; nothing was changed")
	// ErrRestoreFailed says a run failed and so did its restore.
	ErrRestoreFailed = errors.New("the restore failed")
)

// Result is how a run ended.
type Result struct {
	Run        int64  `json:"run"`
	PlanHash   string `json:"plan_hash"`
	State      string `json:"state"` // a store run state
	FailedStep string `json:"failed_step,omitempty"`
	Error      string `json:"error,omitempty"`
	// Recovered says the run was finished by Recover after the agent stopped.
	Recovered bool `json:"recovered,omitempty"`
	// Downtime is from the stop to the health check passing (the new or the
	// restored server's).
	Downtime time.Duration `json:"downtime_ns"`
	Drift    *Drift        `json:"drift,omitempty"`
	Backup   string        `json:"backup,omitempty"` // where the kept backup is (restore-failed)
	Warnings []string      `json:"warnings,omitempty"`
}

// LockFile is the apply lock's name in the state directory.
const LockFile = "apply.lock"

// lock takes the cross-process apply lock.
func (r *Runner) lock() (func() error, error) {
	if err := os.MkdirAll(r.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("create the state directory %s: %w", r.StateDir, err)
	}
	unlock, err := platform.LockFile(filepath.Join(r.StateDir, LockFile))
	if errors.Is(err, platform.ErrLocked) {
		return nil, fmt.Errorf("%w (it holds %s): wait for it to finish, or follow it with upkeep history", ErrLocked, filepath.Join(r.StateDir, LockFile))
	}
	return unlock, err
}

// Abandoned reports whether no process holds the apply lock of stateDir
// now: a run the journal shows going is then left unfinished (a crash, a
// kill) and needs Recover. It takes the lock for an instant.
func Abandoned(stateDir string) bool {
	unlock, err := platform.LockFile(filepath.Join(stateDir, LockFile))
	if err != nil {
		return false
	}
	_ = unlock()
	return true
}

// Apply runs plan: it takes the lock, finishes any unfinished run first,
// then applies. A failure before the server is healthy with the new code
// restores the instance; the Result says how the run ended and the error
// matches ErrLocked, ErrPlanChanged, ErrRefused or ErrRestoreFailed when
// those are the reason.
func (r *Runner) Apply(ctx context.Context, plan *scan.Plan) (*Result, error) {
	if plan == nil {
		return nil, fmt.Errorf("%w: no plan was given", ErrRefused)
	}
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if res, err := r.recover(ctx); err != nil {
		return res, fmt.Errorf("finish the unfinished run first: %w", err)
	}
	if plan.Empty() {
		return nil, fmt.Errorf("%w: the plan changes nothing (the instance is up to date)", ErrRefused)
	}
	body, err := json.Marshal(plan)
	if err != nil {
		return nil, fmt.Errorf("encode the plan: %w", err)
	}
	id, err := r.Store.StartRun(ctx, store.KindApply, plan.Hash, body)
	if err != nil {
		return nil, err
	}
	rn, err := r.newRun(id, plan)
	if err != nil {
		return nil, err
	}
	return rn.forward(ctx)
}

// Recover finishes the pending run, if any, under the lock: before the
// commit point (health passed) it restores the instance, after it records
// the run. It also retries a restore that failed. It returns nil when no
// run was pending.
func (r *Runner) Recover(ctx context.Context) (*Result, error) {
	unlock, err := r.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return r.recover(ctx)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) emit(e Event) {
	if r.Progress != nil {
		r.Progress(e)
	}
}
