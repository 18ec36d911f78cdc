package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/catalog"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDefaultUpgradeOverrides(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	for _, c := range []struct {
		module string
		o      Override
	}{{"arp", On}, {"core", Off}, {"arp", Off}, {"core", Inherit}} {
		if err := s.SetDefaultUpgrade(ctx, c.module, c.o, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.DefaultUpgradeOverrides(ctx)
	if err != nil || len(got) != 1 || got["arp"] != false {
		t.Fatalf("overrides = %v (%v), want only arp=false", got, err)
	}
	if err := s.SetDefaultUpgrade(ctx, "Bad Name", On, "admin"); err == nil {
		t.Error("an invalid module name was accepted")
	}
	for in, want := range map[string]Override{"true": On, "false": Off, "inherit": Inherit} {
		if got, err := ParseOverride(in); err != nil || got != want {
			t.Errorf("ParseOverride(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseOverride("maybe"); err == nil {
		t.Error("ParseOverride accepted maybe")
	}
}

func TestHolds(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	if err := s.Hold(ctx, "reports", "custom patches", "admin"); err != nil {
		t.Fatal(err)
	}
	h, _ := s.Holds(ctx)
	if len(h) != 1 || h[0].Module != "reports" || h[0].Reason != "custom patches" {
		t.Fatalf("holds = %+v", h)
	}
	if err := s.Unhold(ctx, "reports"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unhold(ctx, "reports"); !errors.Is(err, ErrNotHeld) {
		t.Errorf("second unhold: %v, want ErrNotHeld", err)
	}
}

func TestRelaxationsAndLedger(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	if err := s.Relax(ctx, "localization-es", "core", catalog.EnforceMajor, "admin"); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Relaxations(ctx)
	if len(r) != 1 || r[0].Enforcement != "major" {
		t.Fatalf("relaxations = %+v", r)
	}
	for _, e := range []LedgerEntry{
		{Module: "party", Version: "6.0.3", Action: "installed"},
		{Module: "party", Version: "6.0.99", Action: "updated", PlanHash: "abc"},
		{Module: "reports", Version: "0.9.0", Action: "installed"},
		{Module: "reports", Version: "0.9.0", Action: "disabled"},
	} {
		if err := s.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	v, err := s.LedgerVersions(ctx)
	if err != nil || len(v) != 1 || v["party"] != "6.0.99" {
		t.Fatalf("ledger versions = %v (%v), want party 6.0.99 only", v, err)
	}
}

func TestScansAndReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveScan(ctx, "1 patch", []byte(`{"patches":[]}`)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir, nil) // migrations are idempotent
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Scans(ctx, 5)
	if err != nil || len(got) != 1 || got[0].Summary != "1 patch" {
		t.Fatalf("scans = %+v (%v)", got, err)
	}
}

// TestOpenRefusesANewerDatabase: a state database a newer release wrote is
// refused, naming the file, its version and the remedy, and left unchanged.
func TestOpenRefusesANewerDatabase(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(dir, nil)
	for _, w := range []string{filepath.Join(dir, File), "schema version is 99", "install that release or a later one"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Open(newer database) = %v, want an error containing %q", err, w)
		}
	}
	db, err := sqlx.Open("sqlite3", "file:"+filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.Get(&v, "PRAGMA user_version"); err != nil || v != 99 {
		t.Errorf("user_version after the refusal = %d (%v), want 99", v, err)
	}
}
