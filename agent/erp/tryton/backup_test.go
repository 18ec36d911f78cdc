package tryton

import (
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// TestPostgresBackupMethodsAgree backs up a Tryton database with both
// PostgreSQL methods, breaks it after each, and restores: the template
// clone and the dump give back identical databases (pg_dump text, hashed,
// computed apart from the adapter).
func TestPostgresBackupMethodsAgree(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendPostgres)
	before := wi.checksum(t)
	for _, method := range []string{dbcopy.MethodPGTemplate, dbcopy.MethodPGDump} {
		cfg := wi.cfg
		cfg.PGBackup = method
		w, err := NewWriter(cfg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.Backup(ctxT(t), t.TempDir())
		if err != nil {
			t.Fatalf("%s backup: %v", method, err)
		}
		if b.Method != method {
			t.Errorf("backup method %s, want %s", b.Method, method)
		}
		breakDatabase(t, w)
		if err := w.Restore(ctxT(t), b); err != nil {
			t.Fatalf("%s restore: %v", method, err)
		}
		if got := wi.checksum(t); got != before {
			t.Errorf("after the %s restore the database differs from before the backup", method)
		}
		if err := w.DropBackup(ctxT(t), b); err != nil {
			t.Errorf("%s DropBackup: %v", method, err)
		}
	}
}

// breakDatabase does what a half-migrated update does: a new column
// committed, a new table, rows changed.
func breakDatabase(t *testing.T, w erp.Writer) {
	t.Helper()
	err := w.ExecSQL(ctxT(t), `ALTER TABLE party_party ADD COLUMN acceptance_flag BOOLEAN;
		CREATE TABLE upkeep_half (x INTEGER);
		UPDATE upkeep_probe SET name = 'changed';
		INSERT INTO upkeep_probe (name) VALUES ('new')`)
	if err != nil {
		t.Fatal(err)
	}
}
