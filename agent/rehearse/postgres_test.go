package rehearse_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/rehearse"
)

const pgServer = "postgres://postgres@127.0.0.1:5432/"

// liveDatabase creates a database with some data, dropped at the end with
// every copy named after it.
func liveDatabase(t *testing.T) string {
	t.Helper()
	admin, err := pgx.Connect(t.Context(), pgServer+"postgres")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: PostgreSQL is not reachable: %v", err)
		}
		t.Skipf("PostgreSQL is not reachable on 127.0.0.1:5432 as postgres: %v", err)
	}
	defer admin.Close(context.Background())
	b := make([]byte, 5)
	rand.Read(b)
	name := "rehearse_" + hex.EncodeToString(b)
	if _, err := admin.Exec(t.Context(), "CREATE DATABASE "+name+" LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, pgServer+"postgres")
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close(ctx)
		for _, n := range []string{name, rehearse.CopyName(name, "/copy")} {
			admin.Exec(ctx, "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)")
		}
	})
	conn, err := pgx.Connect(t.Context(), pgServer+name)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), `CREATE TABLE partner (id serial PRIMARY KEY, name text NOT NULL, since date);
		INSERT INTO partner (name, since) SELECT 'partner ' || g, DATE '2020-01-01' + g FROM generate_series(1, 200) g;
		CREATE INDEX partner_name ON partner (name); CREATE VIEW recent AS SELECT * FROM partner WHERE since > DATE '2020-06-01';`)
	if err != nil {
		t.Fatal(err)
	}
	return pgServer + name
}

// TestClonePostgres copies a database while a session on it is inside a
// transaction: the session survives, the copy has the committed content
// and the live locale, and DropPostgres removes the copy but refuses the
// live database.
func TestClonePostgres(t *testing.T) {
	live := liveDatabase(t)
	liveName := strings.TrimPrefix(live, pgServer)
	session, err := pgx.Connect(t.Context(), live)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close(context.Background())
	tx, err := session.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), "INSERT INTO partner (name) VALUES ('uncommitted')"); err != nil {
		t.Fatal(err)
	}
	name := rehearse.CopyName(liveName, "/copy")
	if err := rehearse.ClonePostgres(t.Context(), live, name, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Errorf("the live session was disturbed: %v", err)
	}
	copyURL, err := rehearse.CopyURL(live, name)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := dbcopy.Postgres{URL: live}.Checksum(t.Context())
	if got, err := (dbcopy.Postgres{URL: copyURL}).Checksum(t.Context()); err != nil || got != want {
		t.Errorf("the copy's checksum %s (%v), the live database's %s", got, err, want)
	}
	var collate string
	session.QueryRow(t.Context(), "SELECT datcollate FROM pg_database WHERE datname = $1", name).Scan(&collate)
	if collate != "C" {
		t.Errorf("the copy's collation is %q, the live database's C", collate)
	}
	if err := rehearse.DropPostgres(t.Context(), live, liveName); err == nil {
		t.Error("DropPostgres dropped the live database")
	}
	for range 2 {
		if err := rehearse.DropPostgres(t.Context(), live, name); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	session.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
	if n != 0 {
		t.Error("the copy is still there")
	}
}

func TestCopyName(t *testing.T) {
	long := strings.Repeat("x", 60)
	a, b := rehearse.CopyName(long, "/var/lib/upkeep/runs/7/copy"), rehearse.CopyName(long, "/var/lib/upkeep/runs/8/copy")
	if len(a) > 63 || a == b || a != rehearse.CopyName(long, "/var/lib/upkeep/runs/7/copy/") {
		t.Errorf("CopyName: %q and %q; want at most 63 bytes, one per folder, stable", a, b)
	}
}
