package api

import (
	"time"

	"github.com/upkeep-erp/upkeep/agent/scan"
)

// Report is a scan's report (fields documented on scan.Report).
type Report = scan.Report

// Candidate is one newer version in a report (scan.Candidate).
type Candidate = scan.Candidate

// PlannedChange is one module's move in a plan (scan.PlannedChange).
type PlannedChange = scan.PlannedChange

// Plan is GET /v1/plan: the exact set of changes to apply (fields
// documented on scan.Plan) and how long applying it should take here.
type Plan struct {
	scan.Plan
	Estimate Estimate `json:"estimate"`
}

// Estimate is how long applying a plan should take on this host, from the
// history of its runs: a passed rehearsal of the same plan, else the
// recent successful applies, step kind by step kind. Durations are in
// seconds, zero when Basis is "none".
type Estimate struct {
	Basis    string   `json:"basis"`                // "rehearsal", "applies" or "none"
	Downtime float64  `json:"downtime_s,omitempty"` // from the stop of the ERP's server to the health checks passing
	Total    float64  `json:"total_s,omitempty"`    // the whole run, preflight to record
	RunIDs   []string `json:"run_ids,omitempty"`    // the runs it was measured on, newest first
	Note     string   `json:"note"`                 // the estimate's basis in words, or "no history yet" and how to get one
}

// Status is GET /v1/status: the agent and who is asking.
type Status struct {
	Version  string        `json:"version"`
	PID      int           `json:"pid"`
	Since    time.Time     `json:"since"`  // when the agent started
	Config   string        `json:"config"` // the configuration file
	ERP      string        `json:"erp"`    // the ERP kind: demo, tryton…
	LastScan *ScanInfo     `json:"last_scan,omitempty"`
	Running  *Run          `json:"running,omitempty"`  // the apply or rehearsal in progress
	Schedule *ScheduleInfo `json:"schedule,omitempty"` // the running schedule; absent when no agent runs one
	Caller   Caller        `json:"caller"`             // filled in by the server
	Notes    []string      `json:"notes,omitempty"`    // what the agent wants a person to know
	// Exposed are the known security holes the last scan found in the
	// installed versions and its proposed changes leave open.
	Exposed []scan.Exposure `json:"exposed,omitempty"`
}

// ScheduleInfo is the schedule the agent runs, in GET /v1/status.
type ScheduleInfo struct {
	Every            string    `json:"every,omitempty"` // the scan period, e.g. "6h"; or
	Cron             string    `json:"cron,omitempty"`  // a cron expression in the host's time zone
	Jitter           string    `json:"jitter,omitempty"`
	Windows          []string  `json:"windows,omitempty"` // the maintenance windows, e.g. "Sat 02:00-04:00"
	Patches          string    `json:"patches"`           // the policy: notify, stage or apply
	Updates          string    `json:"updates"`           // notify or stage
	Upgrades         string    `json:"upgrades"`          // notify or stage
	Security         string    `json:"security"`          // security fixes: notify (at once, urgent) or apply (in a window)
	RequireRehearsal bool      `json:"require_rehearsal,omitempty"`
	NextScan         time.Time `json:"next_scan,omitzero"`
	NextWindow       time.Time `json:"next_window,omitzero"` // when the next window opens (now, when one is open)
	NextWindowEnd    time.Time `json:"next_window_end,omitzero"`
}

// Reloaded is POST /v1/reload's answer: the configuration file was read
// again and is in use.
type Reloaded struct {
	Config  string   `json:"config"`            // the file read
	Changed []string `json:"changed,omitempty"` // the sections that changed and are now in use (schedule, notify, repository…)
	// Restart lists changed sections that take effect only at the agent's
	// next start ([api], [state]); until then the agent keeps the old ones.
	Restart []string `json:"restart_needed,omitempty"`
	Notes   []string `json:"notes,omitempty"` // e.g. a run in progress keeps the configuration it started with
}

// Caller is who sent a request, from the connection's peer credentials.
type Caller struct {
	User   string `json:"user"` // the user name, or the uid/SID when it has none
	UID    string `json:"uid"`
	PID    int    `json:"pid,omitempty"`
	CanAct bool   `json:"can_act"` // root or a member of api.admin_group; else read-only
	// Client is the program the caller says it is (its X-Upkeep-Client
	// header: "tray", "cli"), empty when it does not say; unlike User it is
	// not checked, so it only labels.
	Client string `json:"client,omitempty"`
}

// Who names the caller as runs record it: "tray: alice", or the user
// alone when the client did not name itself.
func (c Caller) Who() string {
	if c.Client == "" {
		return c.User
	}
	return c.Client + ": " + c.User
}

// ScanInfo is one saved scan without its report.
type ScanInfo struct {
	ID      int64  `json:"id"`
	At      string `json:"at"` // RFC 3339, UTC
	Summary string `json:"summary"`
}

// SavedReport is GET /v1/report and POST /v1/scan: a scan as the store keeps it.
type SavedReport struct {
	ScanInfo
	Report *Report `json:"report"`
}

// ScanRequest is POST /v1/scan's body: what to look for besides updates.
type ScanRequest struct {
	Install         []string `json:"install,omitempty"`          // modules to install
	IncludeUpgrades []string `json:"include_upgrades,omitempty"` // upgrades to propose although not upgraded by default
}

// PlanRequest is GET /v1/plan's query (install, include_upgrades,
// modules: comma lists; disable_blockers, patches_only, update_all: true/false) and
// part of an apply or rehearsal.
type PlanRequest struct {
	Install         []string `json:"install,omitempty"`
	IncludeUpgrades []string `json:"include_upgrades,omitempty"`
	DisableBlockers bool     `json:"disable_blockers,omitempty"`
	// PatchesOnly plans the installed modules' patches alone (with neither
	// include_upgrades nor disable_blockers).
	PatchesOnly bool `json:"patches_only,omitempty"`
	// Modules, when not empty, plans only these modules' changes (and
	// disables), with the changes they need (a newer core they depend on,
	// the modules that must move or be disabled with them); a name the
	// plan does not change is a 400 naming it.
	Modules []string `json:"modules,omitempty"`
	// UpdateAll makes the plan's last update update every installed module
	// (the ERP's --update=all).
	UpdateAll bool `json:"update_all,omitempty"`
}

// RunRequest is POST /v1/apply's and POST /v1/rehearse's body: the plan
// the caller saw (its hash) and the choices that produced it. The agent
// plans again and refuses (409) when the hash differs.
type RunRequest struct {
	PlanHash string      `json:"plan_hash"`
	Plan     PlanRequest `json:"plan"`
}

// The states of a run on the API (Run.State).
const (
	RunRunning       = "running"
	RunRestoring     = "restoring"      // a failed run is being rolled back
	RunSucceeded     = "succeeded"      // applied and healthy
	RunFailed        = "failed"         // failed before the ERP was touched: nothing changed
	RunRestored      = "restored"       // failed, then restored exactly as before
	RunCancelled     = "cancelled"      // cancelled before the ERP was touched: nothing changed
	RunRestoreFailed = "restore-failed" // failed and so did the restore: act now
	// RunNeedsRecovery is a run the journal shows going that no process
	// drives (the agent was killed): upkeep apply --recover-only finishes it.
	RunNeedsRecovery = "needs-recovery"
)

// Run is one apply or rehearsal.
type Run struct {
	ID       string     `json:"id"`
	Kind     string     `json:"kind"` // "apply" or "rehearse"
	PlanHash string     `json:"plan_hash"`
	State    string     `json:"state"`          // one of the Run* states
	Step     string     `json:"step,omitempty"` // the step in progress or where it ended
	By       string     `json:"by,omitempty"`
	Started  time.Time  `json:"started"`
	Ended    *time.Time `json:"ended,omitempty"`
	Error    string     `json:"error,omitempty"`
	Drift    *Drift     `json:"drift,omitempty"` // GET /v1/runs/{id} only, once the run got that far
}

// Drift is a run's settings drift report: the ERP's settings the run
// added, removed and changed (agent/apply.Drift as it travels).
type Drift struct {
	Added   []DriftSetting `json:"added"`
	Removed []DriftSetting `json:"removed"`
	Changed []DriftChange  `json:"changed"`
}

// DriftSetting is one setting added or removed.
type DriftSetting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// DriftChange is one setting whose value changed.
type DriftChange struct {
	Key    string `json:"key"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// RunEvent is one line of a run's progress (GET /v1/runs/{id}/events).
type RunEvent struct {
	Seq     int64     `json:"seq"` // 1, 2, … within the run; pass the last seen as since= to resume
	At      time.Time `json:"at"`
	Step    string    `json:"step"`
	Status  string    `json:"status"` // started, done, failed, skipped, log
	Message string    `json:"message,omitempty"`
	Elapsed float64   `json:"elapsed_s,omitempty"` // seconds, on done and failed
}

// Event is one entry of the agent's history (GET /v1/events): a scan's
// news, an apply's outcome, a rehearsal's result.
type Event struct {
	ID int64     `json:"id"` // increasing; pass the last seen as since=
	At time.Time `json:"at"`
	// Kind is one of: nothing-new, patches, updates, upgrade-available,
	// blocked, reinstallable (scans); staged, run-started, applied,
	// failed-restored, restore-failed, rehearsal-passed, rehearsal-failed,
	// cancelled (plans and runs); problem (a step could not run);
	// unreachable, reachable, disk-full (update checks); config-rejected (a
	// SIGHUP found the configuration file wrong).
	Kind     string `json:"kind"`
	Severity string `json:"severity"` // info, warning, error
	// Notify says a person should be told, once, as a desktop
	// notification (new upgrades, blocked updates, runs' outcomes, a
	// passed rehearsal, problems); false for routine entries (nothing new,
	// staged, a run cancelled by a person).
	Notify   bool   `json:"notify"`
	Summary  string `json:"summary"`
	RunID    string `json:"run_id,omitempty"`
	PlanHash string `json:"plan_hash,omitempty"`
}

// EventQuery is GET /v1/events's query.
type EventQuery struct {
	Since int64 `json:"since,omitempty"` // only events with a larger ID
	Limit int   `json:"limit,omitempty"` // at most this many, oldest first; 0: the server's default (100)
}

// Overrides is GET /v1/overrides: this instance's changes to what the
// repositories say.
type Overrides struct {
	DefaultUpgrade map[string]string `json:"default_upgrade"` // module → "true" or "false"
	Relaxations    []Relaxation      `json:"relaxations"`
}

// Relaxation loosens a user_editable dependency here.
type Relaxation struct {
	Module      string `json:"module"`
	Dependency  string `json:"dependency"`
	Enforcement string `json:"enforcement"` // major, minor, none; "inherit" in a change removes it
	SetBy       string `json:"set_by,omitempty"`
	SetAt       string `json:"set_at,omitempty"`
}

// OverridesChange is PUT /v1/overrides's body: the changes to make, all
// checked before any is made.
type OverridesChange struct {
	DefaultUpgrade map[string]string `json:"default_upgrade,omitempty"` // module → "true", "false" or "inherit"
	Relax          []Relaxation      `json:"relax,omitempty"`
}

// Hold keeps a module from ever being proposed.
type Hold struct {
	Module string `json:"module"`
	Reason string `json:"reason,omitempty"`
	SetBy  string `json:"set_by,omitempty"`
	SetAt  string `json:"set_at,omitempty"`
}

// HoldsChange is PUT /v1/holds's body: holds to add (or re-word) and
// modules to release, all checked before any change is made.
type HoldsChange struct {
	Hold   []Hold   `json:"hold,omitempty"`
	Unhold []string `json:"unhold,omitempty"`
}

// The actions of POST /v1/module-state.
const (
	ActionDisable = "disable"
	ActionEnable  = "enable"
)

// ModuleStateRequest is POST /v1/module-state: disable installed modules
// or enable disabled ones. Without PlanHash the agent only plans; with the
// hash of that plan it runs it.
type ModuleStateRequest struct {
	Action         string   `json:"action"` // ActionDisable or ActionEnable
	Modules        []string `json:"modules"`
	WithDependents bool     `json:"with_dependents,omitempty"` // disable the installed modules that depend on them too
	PlanHash       string   `json:"plan_hash,omitempty"`
}

// ModuleStateAnswer is the plan, the dependents it disables with the named
// modules, and the run once started.
type ModuleStateAnswer struct {
	Plan       scan.Plan `json:"plan"`
	Dependents []string  `json:"dependents"`
	Run        *Run      `json:"run,omitempty"`
}

// InstalledModule is one line of GET /v1/installed.
type InstalledModule struct {
	Module    string `json:"module"`
	Version   string `json:"version"`
	DBVersion string `json:"db_version,omitempty"`     // what the database was migrated to, when the ERP records it
	Ledger    string `json:"ledger_version,omitempty"` // what the agent last installed
	Core      bool   `json:"core,omitempty"`
	Disabled  bool   `json:"disabled,omitempty"` // disabled by Upkeep: not installed, its data kept (Version: the one disabled)
	Note      string `json:"note,omitempty"`     // where the disk, the database and the ledger disagree
}

// Settings is GET /v1/settings: the configuration file as text.
type Settings struct {
	Path     string `json:"path"`
	Revision string `json:"revision"` // sha256 of the content; send it back with a change
	TOML     string `json:"toml"`
	// RestartNeeded says a saved change (the [api] or [state] sections)
	// takes effect only when the service restarts.
	RestartNeeded bool      `json:"restart_needed,omitempty"`
	Reload        *Reloaded `json:"reload,omitempty"` // after a change: what the agent now uses
}

// SettingsUpdate is PUT /v1/settings's body: the whole new file and the
// revision it was edited from (409 when the file changed meanwhile).
type SettingsUpdate struct {
	Revision string `json:"revision"`
	TOML     string `json:"toml"`
}
