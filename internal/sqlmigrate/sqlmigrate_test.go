package sqlmigrate

import (
	"errors"
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

func open(t *testing.T, file string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("sqlite3", "file:"+file+"?_busy_timeout=30000&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestApplyRefusesBadSets(t *testing.T) {
	for _, tc := range []struct {
		files map[string]string
		want  []string
	}{
		{map[string]string{"m/001_a.sql": "", "m/001_b.sql": ""}, []string{"001_a.sql and m/001_b.sql", "same number 1"}},
		{map[string]string{"m/001_a.sql": "", "m/2_b.sql": "", "m/002_c.sql": ""}, []string{"002_c.sql and m/2_b.sql", "same number 2"}},
		{map[string]string{"m/init.sql": ""}, []string{"m/init.sql", "must start with a number"}},
		{map[string]string{"m/000_zero.sql": ""}, []string{"m/000_zero.sql", "above 0"}},
	} {
		fsys := fstest.MapFS{}
		for name, body := range tc.files {
			fsys[name] = &fstest.MapFile{Data: []byte(body)}
		}
		db := open(t, filepath.Join(t.TempDir(), "t.db"))
		err := Apply(db, fsys, "m/*.sql")
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Apply(%v) = %v, want an error containing %q", tc.files, err, w)
			}
		}
		var tables int
		db.Get(&tables, "SELECT COUNT(*) FROM sqlite_master")
		if tables != 0 {
			t.Errorf("Apply(%v) created %d tables, want none", tc.files, tables)
		}
	}
}

func TestApplyRefusesANewerDatabase(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "t.db"))
	newer := fstest.MapFS{
		"m/001_init.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"m/002_more.sql": {Data: []byte("CREATE TABLE b (y INTEGER);")},
		"m/003_last.sql": {Data: []byte("CREATE TABLE c (z INTEGER);")},
	}
	if err := Apply(db, newer, "m/*.sql"); err != nil {
		t.Fatal(err)
	}
	older := fstest.MapFS{"m/001_init.sql": newer["m/001_init.sql"], "m/002_more.sql": newer["m/002_more.sql"]}
	err := Apply(db, older, "m/*.sql")
	var tooNew *TooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != 3 || tooNew.Known != 2 {
		t.Fatalf("Apply(an older binary's migrations) = %v, want a TooNewError 3 > 2", err)
	}
	for _, w := range []string{"schema version is 3", "versions up to 2", "install that release or a later one"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q lacks %q", err, w)
		}
	}
}

// TestApplyConcurrentOpeners: processes opening an old database at once
// (here separate connection pools on one file) apply each migration once;
// a second CREATE TABLE would fail.
func TestApplyConcurrentOpeners(t *testing.T) {
	fsys := fstest.MapFS{
		"m/001_init.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"m/002_fill.sql": {Data: []byte("CREATE TABLE b (y INTEGER); WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM r WHERE i < 20000) INSERT INTO b SELECT i FROM r;")},
		"m/003_more.sql": {Data: []byte("CREATE TABLE c (z INTEGER); INSERT INTO c SELECT y FROM b;")},
	}
	for round := 0; round < 5; round++ {
		file := filepath.Join(t.TempDir(), "t.db")
		dbs := make([]*sqlx.DB, 6)
		for i := range dbs {
			dbs[i] = open(t, file)
		}
		errs := make(chan error, len(dbs))
		for _, db := range dbs {
			go func() { errs <- Apply(db, fsys, "m/*.sql") }()
		}
		for range dbs {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		var n, v int
		dbs[0].Get(&n, "SELECT COUNT(*) FROM c")
		dbs[0].Get(&v, "PRAGMA user_version")
		if n != 20000 || v != 3 {
			t.Fatalf("round %d: c has %d rows, user_version %d; want 20000 and 3", round, n, v)
		}
	}
}
