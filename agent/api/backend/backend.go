// Package backend implements the local API's Backend over the agent's parts: its configuration, its state store and event log, the scan, and the apply runner driven in the agent's own process.
package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/host"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Options are what the backend works with.
type Options struct {
	Config *config.Config
	Store  *store.Store
	// Events is the agent's event log, shared with the schedule (nil: a
	// new one over Store).
	Events *store.Events
	// Open assembles the agent's parts for a configuration (host.Open;
	// nil: the ERP can be neither read nor changed through the service).
	Open func(*config.Config) (*host.Host, error)
	// ForceUnhealthy has applies go on although the ERP fails its health
	// check before they start (upkeep --no-agent apply --force-unhealthy).
	ForceUnhealthy bool
	// ShowRecovery, when set, receives the runner's events of the
	// recoveries this backend drives (the command line shows them).
	ShowRecovery func(apply.Event)
	// Schedule tells what the schedule is doing (nil: no schedule runs).
	Schedule func() schedule.Status
	Version  string
	Started  time.Time
	// OnReload takes each configuration read again (POST /v1/reload, PUT
	// /v1/settings) before the backend uses it: the agent's schedule and
	// notifiers. An error keeps the old configuration everywhere.
	OnReload func(*config.Config) error
	Log      *slog.Logger // default: discard
}

// Backend answers the local API's routes and drives the runs.
type Backend struct {
	o      Options
	mu     sync.RWMutex
	cfg    *config.Config
	next   *config.Config // reloaded during a run: used once the run ends
	ev     *store.Events
	scanMu sync.Mutex // one scan at a time: scans share the metadata cache
	runs   runs
	// recordErr says why the last scan's news could not be recorded
	// (guarded by mu); empty when it was.
	recordErr string
}

var _ api.Backend = (*Backend)(nil)

// New returns a backend over o.
func New(o Options) *Backend {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ev := o.Events
	if ev == nil {
		ev = store.NewEvents(o.Store)
	}
	return &Backend{o: o, cfg: o.Config, ev: ev, runs: runs{recent: map[int64]*tracked{}}}
}

// config is the configuration in use; a reloaded one waiting for the run
// in progress takes over once that run has ended.
func (b *Backend) config() *config.Config {
	b.mu.RLock()
	c, next := b.cfg, b.next
	b.mu.RUnlock()
	if next == nil || b.runs.current() != nil {
		return c
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next != nil && b.runs.current() == nil {
		b.cfg, b.next = b.next, nil
	}
	return b.cfg
}

// Status is the agent's state: the last scan, the run in progress or in
// need of attention, and what the schedule does.
func (b *Backend) Status(ctx context.Context) (*api.Status, error) {
	c := b.config()
	st := &api.Status{Version: b.o.Version, PID: os.Getpid(), Since: b.o.Started, Config: c.Path(), ERP: c.ERP.Kind}
	scans, err := b.o.Store.Scans(ctx, 1)
	if err != nil {
		return nil, err
	}
	if len(scans) == 1 {
		st.LastScan = &api.ScanInfo{ID: scans[0].ID, At: scans[0].At, Summary: scans[0].Summary}
		st.Exposed = exposedIn(scans[0].Report)
		st.Notes = append(st.Notes, exposedNotes(st.Exposed)...)
	}
	if st.Running, err = b.current(ctx); err != nil {
		return nil, err
	}
	if st.Running != nil && st.Running.State == api.RunNeedsRecovery {
		st.Notes = append(st.Notes, fmt.Sprintf("run %s was left unfinished during step %q (the process that drove it is gone: a crash, a kill or a power cut): "+
			"upkeep apply --recover-only finishes it (it restores the instance, or records the change if its health checks had passed)", st.Running.ID, st.Running.Step))
	}
	if st.Running != nil && st.Running.State == api.RunRestoreFailed {
		st.Notes = append(st.Notes, fmt.Sprintf("run %s needs attention: %s", st.Running.ID, st.Running.Error))
	}
	b.mu.RLock()
	if b.recordErr != "" {
		st.Notes = append(st.Notes, b.recordErr)
	}
	b.mu.RUnlock()
	if b.o.Schedule != nil {
		s := b.o.Schedule()
		st.Schedule = scheduleInfo(s)
		st.Notes = append(st.Notes, scheduleNotes(s)...)
	}
	return st, nil
}

// exposedIn reads the exposed installed versions of a saved report; a
// report that cannot be read shows none (Report says why).
func exposedIn(report string) []scan.Exposure {
	var r struct {
		Exposed []scan.Exposure `json:"exposed"`
	}
	if json.Unmarshal([]byte(report), &r) != nil {
		return nil
	}
	return r.Exposed
}

// exposedNotes say which installed versions keep known security holes.
func exposedNotes(es []scan.Exposure) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		fix := "no published version fixes it yet"
		if !e.FixedIn.IsZero() {
			fix = "fixed in " + e.FixedIn.String() + ", which the proposed changes do not reach"
		}
		out = append(out, fmt.Sprintf("exposed to a known security hole: %s %s, %s (%s) %s; %s", e.Module, e.Version, e.Advisory.ID,
			e.Advisory.Severity, e.Advisory.Title, fix))
	}
	return out
}

// scheduleInfo is the running schedule as the API shows it.
func scheduleInfo(s schedule.Status) *api.ScheduleInfo {
	p := s.Spec.Policy
	out := &api.ScheduleInfo{Cron: s.Spec.Cron, Patches: p.Patches.String(), Updates: p.Updates.String(), Upgrades: p.Upgrades.String(),
		Security: p.Security.String(), RequireRehearsal: p.RequireRehearsal, NextScan: s.NextScan, NextWindow: s.NextWindow, NextWindowEnd: s.NextWindowEnd}
	if s.Spec.Every > 0 {
		out.Every = shortDuration(s.Spec.Every)
	}
	if s.Spec.Jitter > 0 {
		out.Jitter = shortDuration(s.Spec.Jitter)
	}
	for _, w := range s.Spec.Windows {
		out.Windows = append(out.Windows, w.String())
	}
	return out
}

// shortDuration writes 6h0m0s as 6h and 1m30s as is.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// scheduleNotes say what fails or waits in the schedule.
func scheduleNotes(s schedule.Status) []string {
	var out []string
	if s.LastError != "" {
		out = append(out, fmt.Sprintf("update checks have failed %d time(s) since %s: %s",
			s.Failures, s.FailingSince.Local().Format("Mon 2 Jan 15:04 MST"), s.LastError))
	}
	if s.RecordError != "" {
		out = append(out, s.RecordError)
	}
	if s.Waiting != "" {
		out = append(out, "waiting for the maintenance window: "+s.Waiting)
	}
	return out
}

// Report is the last saved scan.
func (b *Backend) Report(ctx context.Context) (*api.SavedReport, error) {
	scans, err := b.o.Store.Scans(ctx, 1)
	if err != nil {
		return nil, err
	}
	if len(scans) == 0 {
		return nil, &api.NotFoundError{Message: "no scan has been saved yet: scan now (upkeep check-now, or POST /v1/scan)"}
	}
	s := scans[0]
	out := &api.SavedReport{ScanInfo: api.ScanInfo{ID: s.ID, At: s.At, Summary: s.Summary}}
	if err := json.Unmarshal([]byte(s.Report), &out.Report); err != nil {
		return nil, fmt.Errorf("decode saved scan %d: %w (scan again to replace it)", s.ID, err)
	}
	return out, nil
}

// Scan scans now and returns the saved report. A scan for the installed
// modules alone records its news in the event log, as a scheduled check
// does (the same news is recorded once).
func (b *Backend) Scan(ctx context.Context, req api.ScanRequest, _ api.Caller) (*api.SavedReport, error) {
	rep, info, err := b.scanSaved(ctx, scanner.Request{Install: req.Install, IncludeUpgrades: req.IncludeUpgrades})
	if err != nil {
		return nil, scanFailure(err)
	}
	if len(req.Install)+len(req.IncludeUpgrades) == 0 {
		b.recordNews(ctx, rep)
	}
	return &api.SavedReport{ScanInfo: info, Report: rep}, nil
}

// scanSaved scans and returns the report with the store's record of it.
func (b *Backend) scanSaved(ctx context.Context, req scanner.Request) (*scan.Report, api.ScanInfo, error) {
	b.scanMu.Lock()
	defer b.scanMu.Unlock()
	rep, err := b.scanLocked(ctx, req)
	if err != nil {
		return nil, api.ScanInfo{}, err
	}
	scans, err := b.o.Store.Scans(ctx, 1)
	if err != nil || len(scans) == 0 {
		return rep, api.ScanInfo{}, err
	}
	return rep, api.ScanInfo{ID: scans[0].ID, At: scans[0].At, Summary: scans[0].Summary}, nil
}

// scan reads the ERP, scans and saves the report.
func (b *Backend) scan(ctx context.Context, req scanner.Request) (*scan.Report, error) {
	b.scanMu.Lock()
	defer b.scanMu.Unlock()
	return b.scanLocked(ctx, req)
}

func (b *Backend) scanLocked(ctx context.Context, req scanner.Request) (*scan.Report, error) {
	c := b.config()
	r, err := b.openERP(c)
	if err != nil {
		return nil, err
	}
	return scanner.Scan(ctx, c, b.o.Store, r, req)
}

// plan scans with req, without saving the report (only a scan replaces
// the last one), and plans with its choices; modules the plan does not
// change are a BadRequestError naming them.
func (b *Backend) plan(ctx context.Context, req scanner.Request) (*scan.Plan, error) {
	if req.PatchesOnly && (req.DisableBlockers || len(req.IncludeUpgrades) > 0) {
		return nil, &api.BadRequestError{Message: "patches_only plans patches alone: drop include_upgrades and disable_blockers, or plan without patches_only"}
	}
	rep, err := b.unsaved(ctx, req)
	if err != nil {
		return nil, err
	}
	plan, err := rep.Plan(req.PlanOptions())
	var ue *scan.UnplannedError
	if errors.As(err, &ue) {
		return nil, &api.BadRequestError{Message: fmt.Sprintf("modules=%s: the plan has no change for %s: name modules among the changes and disables of the plan without modules=",
			strings.Join(req.Modules, ","), strings.Join(ue.Modules, ", "))}
	}
	return plan, err
}

// unsaved reads the ERP and scans without saving the report.
func (b *Backend) unsaved(ctx context.Context, req scanner.Request) (*scan.Report, error) {
	c := b.config()
	r, err := b.openERP(c)
	if err != nil {
		return nil, err
	}
	b.scanMu.Lock()
	defer b.scanMu.Unlock()
	return scanner.Unsaved(ctx, c, b.o.Store, r, req)
}

// Plan scans with the request's choices and plans, with an estimate of
// the time it takes from this host's history of runs.
func (b *Backend) Plan(ctx context.Context, req api.PlanRequest) (*api.Plan, error) {
	plan, err := b.plan(ctx, planRequest(req))
	if err != nil {
		return nil, scanFailure(err)
	}
	est, err := b.estimate(ctx, plan)
	if err != nil {
		return nil, err
	}
	return &api.Plan{Plan: *plan, Estimate: est}, nil
}

func planRequest(req api.PlanRequest) scanner.Request {
	return scanner.Request{Install: req.Install, IncludeUpgrades: req.IncludeUpgrades, DisableBlockers: req.DisableBlockers,
		PatchesOnly: req.PatchesOnly, Modules: req.Modules, UpdateAll: req.UpdateAll}
}

// Installed reads the ERP's installed modules and compares them with the ledger.
func (b *Backend) Installed(ctx context.Context) ([]api.InstalledModule, error) {
	r, err := b.openERP(b.config())
	if err != nil {
		return nil, err
	}
	mods, err := r.Installed(ctx)
	if err != nil {
		return nil, &api.ScanError{Code: api.CodeERP, Message: fmt.Sprintf("read the installed modules (%s): %v", r.Kind(), err)}
	}
	ledger, err := b.o.Store.LedgerVersions(ctx)
	if err != nil {
		return nil, err
	}
	rows := InstalledModules(mods, ledger)
	disabled, err := b.disabledRows(ctx, mods)
	if err != nil {
		return nil, err
	}
	rows = append(rows, disabled...)
	slices.SortFunc(rows, func(a, b api.InstalledModule) int { return strings.Compare(a.Module, b.Module) })
	return rows, nil
}

// disabledRows are the modules Upkeep disabled (the ledger) that are not
// installed, each as the ERP's own records show it when its write side
// opens: disabled, or not (then the note says so).
func (b *Backend) disabledRows(ctx context.Context, mods []erp.Module) ([]api.InstalledModule, error) {
	led, err := b.o.Store.LedgerDisabled(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range led {
		if !slices.ContainsFunc(mods, func(m erp.Module) bool { return m.Name == n }) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	confirmed, checked := b.erpDisabled(ctx, names)
	rows := make([]api.InstalledModule, 0, len(names))
	for _, n := range names {
		r := api.InstalledModule{Module: n, Version: led[n], Ledger: led[n], Disabled: true, Note: "disabled by Upkeep (data kept): upkeep enable " + n}
		if checked && !slices.Contains(confirmed, n) {
			r.Note = "disabled by Upkeep, but the ERP does not show it disabled now: check it in the ERP"
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// erpDisabled asks the ERP's write side which of names it holds disabled;
// checked is false when the write side cannot be opened here.
func (b *Backend) erpDisabled(ctx context.Context, names []string) (confirmed []string, checked bool) {
	if b.o.Open == nil {
		return nil, false
	}
	h, err := b.o.Open(b.config())
	if err != nil {
		return nil, false
	}
	w, err := h.Writer()
	if err != nil {
		return nil, false
	}
	confirmed, err = w.Disabled(ctx, names)
	return confirmed, err == nil
}

// InstalledModules says, per installed module, where the disk, the
// database and the agent's ledger disagree.
func InstalledModules(mods []erp.Module, ledger map[string]string) []api.InstalledModule {
	rows := make([]api.InstalledModule, 0, len(mods))
	for _, m := range mods {
		r := api.InstalledModule{Module: m.Name, Version: m.Version.String(), Core: m.Core, Ledger: ledger[m.Name]}
		if !m.DBVersion.IsZero() {
			r.DBVersion = m.DBVersion.String()
		}
		var notes []string
		if r.DBVersion != "" && !m.DBVersion.Equal(m.Version) {
			notes = append(notes, "the database was migrated to "+r.DBVersion+": the ERP's update has not run")
		}
		if r.Ledger != "" && r.Ledger != r.Version {
			notes = append(notes, "the agent installed "+r.Ledger+", the disk has "+r.Version)
		}
		r.Note = strings.Join(notes, "; ")
		rows = append(rows, r)
	}
	return rows
}
