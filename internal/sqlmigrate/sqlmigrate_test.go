package sqlmigrate

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3"
)

func TestApplyRunsNewMigrationsOnceAndAtomically(t *testing.T) {
	db, err := sqlx.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fsys := fstest.MapFS{
		"m/001_init.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"m/002_more.sql": {Data: []byte("CREATE TABLE b (y INTEGER);")},
	}
	for i := 0; i < 2; i++ { // the second run finds nothing to do
		if err := Apply(db, fsys, "m/*.sql"); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	var v int
	db.Get(&v, "PRAGMA user_version")
	if v != 2 {
		t.Errorf("user_version = %d, want 2", v)
	}
	fsys["m/003_bad.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE c (z INTEGER); CREATE TABLE a (x INTEGER);")}
	if err := Apply(db, fsys, "m/*.sql"); err == nil || !strings.Contains(err.Error(), "003_bad.sql") {
		t.Fatalf("failing migration: %v, want an error naming it", err)
	}
	var n int
	db.Get(&n, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'")
	db.Get(&v, "PRAGMA user_version")
	if n != 0 || v != 2 {
		t.Errorf("after a failed migration: table c exists=%v, user_version=%d; want nothing applied", n != 0, v)
	}
}
