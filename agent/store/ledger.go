package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Relaxation loosens a user_editable dependency for this instance.
type Relaxation struct {
	Module      string `db:"module" json:"module"`
	Dependency  string `db:"dependency" json:"dependency"`
	Enforcement string `db:"enforcement" json:"enforcement"`
	SetBy       string `db:"set_by" json:"set_by"`
	SetAt       string `db:"set_at" json:"set_at"`
}

// Relax records that module's dependency on dep uses enforcement e here.
// Whether the dependency is user_editable is checked by the scan, which
// ignores (and reports) a relaxation of a dependency that is not.
func (s *Store) Relax(ctx context.Context, module, dep string, e catalog.Enforcement, by string) error {
	for _, n := range []string{module, dep} {
		if err := catalog.ValidateModuleName(n); err != nil {
			return err
		}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO relaxations (module, dependency, enforcement, set_by, set_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (module, dependency) DO UPDATE SET enforcement = excluded.enforcement, set_by = excluded.set_by, set_at = excluded.set_at`,
		module, dep, e.String(), by, s.stamp())
	if err != nil {
		return fmt.Errorf("relax %s -> %s: %w", module, dep, err)
	}
	return nil
}

// Unrelax removes a relaxation.
func (s *Store) Unrelax(ctx context.Context, module, dep string) error {
	if _, err := s.db.ExecContext(ctx, "DELETE FROM relaxations WHERE module = ? AND dependency = ?", module, dep); err != nil {
		return fmt.Errorf("unrelax %s -> %s: %w", module, dep, err)
	}
	return nil
}

// Relaxations lists them all.
func (s *Store) Relaxations(ctx context.Context) ([]Relaxation, error) {
	var out []Relaxation
	if err := s.db.SelectContext(ctx, &out, "SELECT module, dependency, enforcement, set_by, set_at FROM relaxations ORDER BY module, dependency"); err != nil {
		return nil, fmt.Errorf("read relaxations: %w", err)
	}
	return out, nil
}

// The actions of ledger entries.
const (
	ActionInstalled = "installed"
	ActionUpdated   = "updated"
	ActionDisabled  = "disabled"
)

// LedgerEntry is one thing the agent did to a module.
type LedgerEntry struct {
	Module   string `db:"module" json:"module"`
	Version  string `db:"version" json:"version"`
	Action   string `db:"action" json:"action"`
	PlanHash string `db:"plan_hash" json:"plan_hash,omitempty"`
	At       string `db:"at" json:"at"`
}

// Record appends to the ledger.
func (s *Store) Record(ctx context.Context, e LedgerEntry) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO ledger (module, version, action, plan_hash, at) VALUES (?, ?, ?, ?, ?)",
		e.Module, e.Version, e.Action, e.PlanHash, s.stamp())
	if err != nil {
		return fmt.Errorf("record %s %s in the ledger: %w", e.Module, e.Version, err)
	}
	return nil
}

// LedgerVersions returns, per module, the version the agent last installed
// (disabled modules excluded).
func (s *Store) LedgerVersions(ctx context.Context) (map[string]string, error) {
	return s.ledgerLast(ctx, func(action string) bool { return action != ActionDisabled })
}

// LedgerDisabled returns, per module whose last entry is a disable, the
// version that was disabled.
func (s *Store) LedgerDisabled(ctx context.Context) (map[string]string, error) {
	return s.ledgerLast(ctx, func(action string) bool { return action == ActionDisabled })
}

// ledgerLast returns the version of each module's last ledger entry whose
// action keep accepts.
func (s *Store) ledgerLast(ctx context.Context, keep func(action string) bool) (map[string]string, error) {
	var rows []LedgerEntry
	err := s.db.SelectContext(ctx, &rows, `SELECT module, version, action, plan_hash, at FROM ledger l
		WHERE id = (SELECT MAX(id) FROM ledger WHERE module = l.module)`)
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	out := map[string]string{}
	for _, r := range rows {
		if keep(r.Action) {
			out[r.Module] = r.Version
		}
	}
	return out, nil
}

// ScanRecord is one saved scan.
type ScanRecord struct {
	ID      int64  `db:"id" json:"id"`
	At      string `db:"at" json:"at"`
	Summary string `db:"summary" json:"summary"`
	Report  string `db:"report_json" json:"-"`
}

// SaveScan keeps a scan's report (JSON) and one-line summary. A report
// identical to the last one saved only moves that scan's time, so a
// periodic scan that finds nothing new adds no row and keeps its ID.
func (s *Store) SaveScan(ctx context.Context, summary string, report []byte) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `UPDATE scans SET at = ? WHERE id = (SELECT MAX(id) FROM scans) AND summary = ? AND report_json = ?
		RETURNING id`, s.stamp(), summary, string(report)).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("save scan: %w", err)
	}
	res, err := s.db.ExecContext(ctx, "INSERT INTO scans (at, summary, report_json) VALUES (?, ?, ?)", s.stamp(), summary, string(report))
	if err != nil {
		return 0, fmt.Errorf("save scan: %w", err)
	}
	return res.LastInsertId()
}

// Scans returns the last n scans, newest first.
func (s *Store) Scans(ctx context.Context, n int) ([]ScanRecord, error) {
	var out []ScanRecord
	if err := s.db.SelectContext(ctx, &out, "SELECT id, at, summary, report_json FROM scans ORDER BY id DESC LIMIT ?", n); err != nil {
		return nil, fmt.Errorf("read scans: %w", err)
	}
	return out, nil
}
