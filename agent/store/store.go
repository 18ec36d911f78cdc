// Package store keeps the agent's state in SQLite: default-upgrade overrides, holds, relaxed dependencies, the ledger of what the agent installed, and scan history.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/sqlmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// File is the state database's name inside the state directory.
const File = "upkeep.db"

// Store is the agent's open state database.
type Store struct {
	db  *sqlx.DB
	dir string
	now func() time.Time
}

// Open opens (creating when missing) the state database in dir and brings
// its schema up to date.
func Open(dir string, now func() time.Time) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", dir, err)
	}
	dsn := "file:" + filepath.Join(dir, File) + "?_busy_timeout=10000&_journal_mode=WAL&_foreign_keys=on&_synchronous=FULL"
	db, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open the state database in %s: %w", dir, err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("state database %s: %w", filepath.Join(dir, File), err)
	}
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, dir: dir, now: now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) stamp() string { return s.now().UTC().Format(time.RFC3339) }

func migrate(db *sqlx.DB) error { return sqlmigrate.Apply(db, migrations, "migrations/*.sql") }

// Override is the instance's choice for a module's default-upgrade flag.
type Override int

// Overrides.
const (
	Inherit Override = iota // use the repository's flag
	On
	Off
)

// ParseOverride reads true, false or inherit.
func ParseOverride(s string) (Override, error) {
	switch strings.ToLower(s) {
	case "true", "on", "yes":
		return On, nil
	case "false", "off", "no":
		return Off, nil
	case "inherit", "default":
		return Inherit, nil
	}
	return Inherit, fmt.Errorf("%q: say true, false or inherit", s)
}

func (o Override) String() string { return [...]string{"inherit", "true", "false"}[o] }

// SetDefaultUpgrade records an override (Inherit removes it).
func (s *Store) SetDefaultUpgrade(ctx context.Context, module string, o Override, by string) error {
	if err := catalog.ValidateModuleName(module); err != nil {
		return err
	}
	var err error
	if o == Inherit {
		_, err = s.db.ExecContext(ctx, "DELETE FROM default_upgrade_overrides WHERE module = ?", module)
	} else {
		_, err = s.db.ExecContext(ctx, `INSERT INTO default_upgrade_overrides (module, value, set_by, set_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (module) DO UPDATE SET value = excluded.value, set_by = excluded.set_by, set_at = excluded.set_at`,
			module, o == On, by, s.stamp())
	}
	if err != nil {
		return fmt.Errorf("save default-upgrade override of %s: %w", module, err)
	}
	return nil
}

// DefaultUpgradeOverrides returns every override: module -> flag.
func (s *Store) DefaultUpgradeOverrides(ctx context.Context) (map[string]bool, error) {
	var rows []struct {
		Module string `db:"module"`
		Value  bool   `db:"value"`
	}
	if err := s.db.SelectContext(ctx, &rows, "SELECT module, value FROM default_upgrade_overrides"); err != nil {
		return nil, fmt.Errorf("read default-upgrade overrides: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.Module] = r.Value
	}
	return out, nil
}

// Hold keeps a module from ever being proposed.
func (s *Store) Hold(ctx context.Context, module, reason, by string) error {
	if err := catalog.ValidateModuleName(module); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO holds (module, reason, set_by, set_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (module) DO UPDATE SET reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at`,
		module, reason, by, s.stamp())
	if err != nil {
		return fmt.Errorf("hold %s: %w", module, err)
	}
	return nil
}

// ErrNotHeld says an unhold named a module that is not held.
var ErrNotHeld = errors.New("not held")

// Unhold releases a hold.
func (s *Store) Unhold(ctx context.Context, module string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM holds WHERE module = ?", module)
	if err != nil {
		return fmt.Errorf("unhold %s: %w", module, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", module, ErrNotHeld)
	}
	return nil
}

// HoldInfo is one held module.
type HoldInfo struct {
	Module string `db:"module" json:"module"`
	Reason string `db:"reason" json:"reason,omitempty"`
	SetBy  string `db:"set_by" json:"set_by"`
	SetAt  string `db:"set_at" json:"set_at"`
}

// Holds lists the held modules.
func (s *Store) Holds(ctx context.Context) ([]HoldInfo, error) {
	var out []HoldInfo
	if err := s.db.SelectContext(ctx, &out, "SELECT module, reason, set_by, set_at FROM holds ORDER BY module"); err != nil {
		return nil, fmt.Errorf("read holds: %w", err)
	}
	return out, nil
}
