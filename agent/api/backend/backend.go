// Package backend implements the local API's Backend over what the agent has today: its configuration, its state store and the ERP reader; applies, rehearsals, runs and events answer "not available yet".
package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Options are what the backend works with.
type Options struct {
	Config *config.Config
	Store  *store.Store
	// OpenERP returns the reader of the configured ERP.
	OpenERP func(*config.Config) (erp.Reader, error)
	// Scan reads the ERP, fetches the listings, scans and saves the report
	// in Store (what `upkeep scan` does).
	Scan     func(ctx context.Context, c *config.Config, req api.ScanRequest) (*scan.Report, error)
	Version  string
	Started  time.Time
	OnReload func(*config.Config) // called after PUT /v1/settings saved a new configuration
}

// Backend answers the local API's routes.
type Backend struct {
	o   Options
	mu  sync.RWMutex
	cfg *config.Config
}

var _ api.Backend = (*Backend)(nil)

// New returns a backend over o.
func New(o Options) *Backend { return &Backend{o: o, cfg: o.Config} }

func (b *Backend) config() *config.Config {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.cfg
}

// Status is the agent's state.
func (b *Backend) Status(ctx context.Context) (*api.Status, error) {
	c := b.config()
	st := &api.Status{Version: b.o.Version, PID: os.Getpid(), Since: b.o.Started, Config: c.Path(), ERP: c.ERP.Kind}
	scans, err := b.o.Store.Scans(ctx, 1)
	if err != nil {
		return nil, err
	}
	if len(scans) == 1 {
		st.LastScan = &api.ScanInfo{ID: scans[0].ID, At: scans[0].At, Summary: scans[0].Summary}
	}
	return st, nil
}

// Report is the last saved scan.
func (b *Backend) Report(ctx context.Context) (*api.SavedReport, error) {
	scans, err := b.o.Store.Scans(ctx, 1)
	if err != nil {
		return nil, err
	}
	if len(scans) == 0 {
		return nil, &api.NotFoundError{Message: "no scan has been saved yet: scan now (upkeep scan, or POST /v1/scan)"}
	}
	s := scans[0]
	out := &api.SavedReport{ScanInfo: api.ScanInfo{ID: s.ID, At: s.At, Summary: s.Summary}}
	if err := json.Unmarshal([]byte(s.Report), &out.Report); err != nil {
		return nil, fmt.Errorf("decode saved scan %d: %w (scan again to replace it)", s.ID, err)
	}
	return out, nil
}

// Scan scans now and returns the saved report.
func (b *Backend) Scan(ctx context.Context, req api.ScanRequest, _ api.Caller) (*api.SavedReport, error) {
	if b.o.Scan == nil {
		return nil, &api.NotAvailableError{Feature: "scanning through the service"}
	}
	rep, err := b.o.Scan(ctx, b.config(), req)
	if err != nil {
		return nil, err
	}
	scans, err := b.o.Store.Scans(ctx, 1)
	if err != nil {
		return nil, err
	}
	out := &api.SavedReport{Report: rep}
	if len(scans) == 1 {
		out.ScanInfo = api.ScanInfo{ID: scans[0].ID, At: scans[0].At, Summary: scans[0].Summary}
	}
	return out, nil
}

// Plan scans with the request's choices and plans.
func (b *Backend) Plan(ctx context.Context, req api.PlanRequest) (*api.Plan, error) {
	if b.o.Scan == nil {
		return nil, &api.NotAvailableError{Feature: "planning through the service"}
	}
	rep, err := b.o.Scan(ctx, b.config(), api.ScanRequest{Install: req.Install, IncludeUpgrades: req.IncludeUpgrades})
	if err != nil {
		return nil, err
	}
	return rep.Plan(scan.PlanOptions{IncludeUpgrades: req.IncludeUpgrades, DisableBlockers: req.DisableBlockers})
}

// Installed reads the ERP's installed modules and compares them with the ledger.
func (b *Backend) Installed(ctx context.Context) ([]api.InstalledModule, error) {
	if b.o.OpenERP == nil {
		return nil, &api.NotAvailableError{Feature: "reading the ERP through the service"}
	}
	r, err := b.o.OpenERP(b.config())
	if err != nil {
		return nil, err
	}
	mods, err := r.Installed(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the installed modules (%s): %w", r.Kind(), err)
	}
	ledger, err := b.o.Store.LedgerVersions(ctx)
	if err != nil {
		return nil, err
	}
	return InstalledModules(mods, ledger), nil
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
