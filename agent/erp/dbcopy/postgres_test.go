package dbcopy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/internal/pgtest"
)

// The tests use the machine's PostgreSQL on 127.0.0.1:5432 as its
// superuser (trust authentication, as scripts/ensure-services.sh sets it
// up), and make for each test a role with CREATEDB — not a superuser —
// owning a database, both named by pgtest.Name and dropped at the end.
const pgSuperURL = pgtest.Server + "postgres"

// pgEnv is one test's role and live database.
type pgEnv struct {
	role, password, db string
}

func (e pgEnv) url() string {
	return fmt.Sprintf("postgresql://%s:%s@127.0.0.1:5432/%s", e.role, e.password, e.db)
}

func (e pgEnv) pg(method string) Postgres { return Postgres{URL: e.url(), Method: method} }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// superExec runs statements as the superuser on database db.
func superExec(t testing.TB, db string, stmts ...string) {
	t.Helper()
	ctx := ctxT(t)
	conn := pgtest.Connect(t, db)
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// newPGEnv makes the role and its database, filled by fill (run as the
// role on the new database), and drops both at the end of the test.
func newPGEnv(t testing.TB, fill ...string) pgEnv {
	t.Helper()
	name := pgtest.Name(t, "dbcopy")
	e := pgEnv{role: name, password: randHex(8), db: name}
	superExec(t, "postgres",
		fmt.Sprintf("CREATE ROLE %s LOGIN CREATEDB PASSWORD '%s'", e.role, e.password),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s ENCODING 'UTF8' TEMPLATE template0", e.db, e.role))
	t.Cleanup(func() { dropAll(t, name) })
	roleExec(t, e, e.db, fill...)
	return e
}

// dropAll drops every database whose name starts with prefix, and the role prefix.
func dropAll(t testing.TB, prefix string) {
	t.Helper()
	if err := pgtest.Drop(pgSuperURL, prefix); err != nil {
		t.Errorf("clean up: %v", err)
	}
}

// roleExec runs statements as the test's role on database db.
func roleExec(t testing.TB, e pgEnv, db string, stmts ...string) {
	t.Helper()
	ctx := ctxT(t)
	conn, err := pgx.Connect(ctx, strings.TrimSuffix(e.url(), e.db)+db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// sample is a small database with the types whose text depends on session
// settings, NULLs, duplicate rows, a sequence, a setting and privileges.
var sample = []string{
	`CREATE TABLE party (id serial PRIMARY KEY, name text, born timestamptz, score float8, photo bytea, note jsonb, span interval)`,
	`INSERT INTO party (name, born, score, photo, note, span) SELECT 'party ' || g, timestamptz '2020-01-01 12:00+02' + g * interval '1 day',
		g / 3.0, decode(md5(g::text), 'hex'), jsonb_build_object('g', g), g * interval '1 minute' FROM generate_series(1, 500) g`,
	`INSERT INTO party (name) VALUES (NULL), (NULL)`,
	`CREATE TABLE dup (n int)`,
	`INSERT INTO dup VALUES (1), (1), (2)`,
	`CREATE TABLE empty_one (a int)`,
	`CREATE SCHEMA extra`,
	`CREATE TABLE extra.things (v numeric(12, 4))`,
	`INSERT INTO extra.things VALUES (1.5), (2.25)`,
	`CREATE SEQUENCE counter`,
	`SELECT nextval('counter'), nextval('counter')`,
}

func TestPostgresBackupRestore(t *testing.T) {
	t.Parallel()
	for _, method := range []string{MethodPGTemplate, MethodPGDump} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			e := newPGEnv(t, sample...)
			superExec(t, "postgres", "ALTER DATABASE "+e.db+" SET work_mem TO '8MB'",
				"REVOKE CONNECT ON DATABASE "+e.db+" FROM PUBLIC", "GRANT CONNECT ON DATABASE "+e.db+" TO "+e.role)
			p := e.pg(method)
			before := checksum(t, p)
			props := propsOf(t, e.db)
			b, err := p.Backup(ctxT(t), t.TempDir())
			if err != nil {
				t.Fatalf("Backup: %v", err)
			}
			if b.Method != method || !strings.HasPrefix(b.Checksum, map[string]string{MethodPGTemplate: catalogPrefix, MethodPGDump: shapePrefix}[method]) || b.Size <= 0 {
				t.Errorf("Backup = %+v; want method %s, a catalog digest, a size", b, method)
			}
			roleExec(t, e, e.db, "INSERT INTO party (name) VALUES ('after')", "CREATE TABLE created_after (x int)",
				"ALTER TABLE empty_one ADD COLUMN b text", "SELECT nextval('counter')")
			if checksum(t, p) == before {
				t.Fatal("the checksum did not change after rows, a table, a column and a sequence value changed")
			}
			for i := range 2 {
				if err := p.Restore(ctxT(t), b); err != nil {
					t.Fatalf("Restore #%d: %v", i+1, err)
				}
				if got := checksum(t, p); got != before {
					t.Fatalf("after Restore #%d the checksum is %s, want %s", i+1, got, before)
				}
			}
			if got := propsOf(t, e.db); got != props {
				t.Errorf("the database's owner, settings and privileges changed: %s, were %s", got, props)
			}
			if err := p.Drop(ctxT(t), b); err != nil {
				t.Errorf("Drop: %v", err)
			}
			conn := superConn(t)
			defer conn.Close(context.Background())
			var left int
			conn.QueryRow(ctxT(t), "SELECT count(*) FROM pg_database WHERE datname IN ($1, $2)", b.Database, asideName(e.db)).Scan(&left)
			if left != 0 {
				t.Errorf("after Drop %d of the backup copy and the database set aside are left", left)
			}
		})
	}
}

// propsOf describes a database's owner, settings and privileges.
func propsOf(t *testing.T, db string) string {
	t.Helper()
	conn, err := pgx.Connect(ctxT(t), pgSuperURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	err = conn.QueryRow(ctxT(t), `SELECT pg_get_userbyid(d.datdba) || ' ' || pg_encoding_to_char(d.encoding) || ' ' ||
		coalesce((SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting WHERE setdatabase = d.oid AND setrole = 0), '') || ' ' ||
		coalesce(array_to_string(array(SELECT a::text FROM unnest(d.datacl) a ORDER BY 1), ','), 'default')
		FROM pg_database d WHERE datname = $1`, db).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(s, db, "DB")
}

func checksum(t testing.TB, p Postgres) string {
	t.Helper()
	s, err := p.Checksum(ctxT(t))
	if err != nil {
		t.Fatalf("Checksum: %v", err)
	}
	return s
}

// TestPostgresMethodsAgree backs up one database both ways, and restores
// each: the template clone and the dump give identical logical checksums.
func TestPostgresMethodsAgree(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t, sample...)
	before := checksum(t, e.pg(""))
	tb, err := e.pg(MethodPGTemplate).Backup(ctxT(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := e.pg(MethodPGDump).Backup(ctxT(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []erp.Backup{db, tb} {
		roleExec(t, e, e.db, "DELETE FROM party WHERE id < 10")
		if err := e.pg("").Restore(ctxT(t), b); err != nil {
			t.Fatalf("Restore %s: %v", b.Method, err)
		}
		if got := checksum(t, e.pg("")); got != before {
			t.Errorf("after the %s restore the checksum is %s, want %s", b.Method, got, before)
		}
	}
}

func TestPostgresChecksumSensitivity(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t, sample...)
	p := e.pg("")
	seen := map[string]string{checksum(t, p): "start"}
	for _, change := range []string{
		"UPDATE party SET score = score + 1e-12 WHERE id = 7",
		"UPDATE party SET name = NULL WHERE id = 8",
		"INSERT INTO dup VALUES (1)", // one more duplicate
		"ALTER TABLE empty_one ADD COLUMN c int",
		"SELECT setval('counter', 99)",
		"CREATE TABLE extra.more (x int)",
		"UPDATE extra.things SET v = 2.2500", // same text, 4 decimals: no change expected
	} {
		roleExec(t, e, e.db, change)
		sum := checksum(t, p)
		if prev, ok := seen[sum]; ok && !strings.HasPrefix(change, "UPDATE extra.things") {
			t.Errorf("after %q the checksum is the same as after %q", change, prev)
		}
		seen[sum] = change
	}
	if got := checksum(t, p); got != checksum(t, p) {
		t.Errorf("two checksums of an unchanged database differ: %s", got)
	}
}

func TestPostgresCorruptBackupIsRefused(t *testing.T) {
	t.Parallel()
	for _, method := range []string{MethodPGTemplate, MethodPGDump} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			e := newPGEnv(t, sample...)
			p := e.pg(method)
			b, err := p.Backup(ctxT(t), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			roleExec(t, e, e.db, "INSERT INTO party (name) VALUES ('live change')")
			live := checksum(t, p)
			if method == MethodPGTemplate {
				// The copy is closed to connections: only a superuser who
				// opens it can change it.
				if _, err := pgx.Connect(ctxT(t), strings.TrimSuffix(e.url(), e.db)+b.Database); err == nil {
					t.Error("the role could connect to its backup copy")
				}
				superExec(t, "postgres", "ALTER DATABASE "+b.Database+" WITH ALLOW_CONNECTIONS true")
				roleExec(t, e, b.Database, "INSERT INTO party (name) SELECT 'tampered ' || g FROM generate_series(1, 2000) g")
			} else {
				damage(t, filepath.Join(b.Path, dumpFile))
			}
			err = p.Restore(ctxT(t), b)
			if err == nil {
				t.Fatal("Restore of a damaged backup succeeded")
			}
			t.Logf("refused: %v", err)
			if got := checksum(t, p); got != live {
				t.Errorf("the refused restore changed the live database")
			}
		})
	}
}

// damage rewrites a stretch in the middle of file.
func damage(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 2; i < len(data)/2+64 && i < len(data); i++ {
		data[i] ^= 0x5A
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresRestoreResumes puts the cluster in the states a crash during
// Restore leaves, and checks that Restore finishes from each.
func TestPostgresRestoreResumes(t *testing.T) {
	t.Parallel()
	t.Run("template, live dropped before the rename", func(t *testing.T) {
		t.Parallel()
		e := newPGEnv(t, sample...)
		p := e.pg(MethodPGTemplate)
		before := checksum(t, p)
		b, err := p.Backup(ctxT(t), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		superExec(t, "postgres", "DROP DATABASE "+e.db+" WITH (FORCE)")
		if err := p.Restore(ctxT(t), b); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if got := checksum(t, p); got != before {
			t.Errorf("checksum %s, want %s", got, before)
		}
	})
	// The template restore's dance: reopen the copy, drop live, rename.
	for _, c := range []struct {
		name  string
		state func(e pgEnv, b erp.Backup) []string
	}{
		{"template, copy reopened", func(e pgEnv, b erp.Backup) []string {
			return []string{"ALTER DATABASE " + b.Database + " WITH ALLOW_CONNECTIONS true"}
		}},
		{"template, copy reopened and live dropped", func(e pgEnv, b erp.Backup) []string {
			return []string{"ALTER DATABASE " + b.Database + " WITH ALLOW_CONNECTIONS true", "DROP DATABASE " + e.db + " WITH (FORCE)"}
		}},
		{"template, copy reopened and live set aside", func(e pgEnv, b erp.Backup) []string {
			return []string{"ALTER DATABASE " + b.Database + " WITH ALLOW_CONNECTIONS true", "ALTER DATABASE " + e.db + " RENAME TO " + asideName(e.db)}
		}},
		{"template, renamed", func(e pgEnv, b erp.Backup) []string {
			return []string{"ALTER DATABASE " + b.Database + " WITH ALLOW_CONNECTIONS true", "DROP DATABASE " + e.db + " WITH (FORCE)",
				"ALTER DATABASE " + b.Database + " RENAME TO " + e.db}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newPGEnv(t, sample...)
			p := e.pg(MethodPGTemplate)
			before := checksum(t, p)
			b, err := p.Backup(ctxT(t), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			roleExec(t, e, e.db, "INSERT INTO party (name) SELECT 'update ' || g FROM generate_series(1, 2000) g")
			superExec(t, "postgres", c.state(e, b)...)
			for i := range 2 {
				if err := p.Restore(ctxT(t), b); err != nil {
					t.Fatalf("Restore #%d: %v", i+1, err)
				}
			}
			if got := checksum(t, p); got != before {
				t.Errorf("checksum %s, want %s", got, before)
			}
		})
	}
	t.Run("dump, staging loaded and live dropped", func(t *testing.T) {
		t.Parallel()
		e := newPGEnv(t, sample...)
		p := e.pg(MethodPGDump)
		before := checksum(t, p)
		b, err := p.Backup(ctxT(t), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		staging := derivedName(e.db, "_upkeep_restore")
		superExec(t, "postgres", "ALTER DATABASE "+e.db+" RENAME TO "+staging)
		if err := p.Restore(ctxT(t), b); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if got := checksum(t, p); got != before {
			t.Errorf("checksum %s, want %s", got, before)
		}
	})
	t.Run("dump, staging half loaded", func(t *testing.T) {
		t.Parallel()
		e := newPGEnv(t, sample...)
		p := e.pg(MethodPGDump)
		before := checksum(t, p)
		b, err := p.Backup(ctxT(t), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		staging := derivedName(e.db, "_upkeep_restore")
		superExec(t, "postgres", "CREATE DATABASE "+staging+" OWNER "+e.role)
		roleExec(t, e, staging, "CREATE TABLE party (half int)")
		roleExec(t, e, e.db, "DELETE FROM dup")
		if err := p.Restore(ctxT(t), b); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if got := checksum(t, p); got != before {
			t.Errorf("checksum %s, want %s", got, before)
		}
	})
}

// TestPostgresTemplateEndsLeftoverSessions: a session left open on the
// live database (a cron worker the stop missed) does not block the clone.
func TestPostgresTemplateEndsLeftoverSessions(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t, sample...)
	conn, err := pgx.Connect(ctxT(t), e.url())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	b, err := e.pg(MethodPGTemplate).Backup(ctxT(t), t.TempDir())
	if err != nil {
		t.Fatalf("Backup with a session open on the database: %v", err)
	}
	if b.Database == "" || !strings.HasPrefix(b.Database, e.db) {
		t.Errorf("backup database %q, want a name derived from %s", b.Database, e.db)
	}
}

func TestPostgresErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t, sample...)
	superExec(t, "postgres", "ALTER ROLE "+e.role+" NOCREATEDB")
	_, err := e.pg(MethodPGTemplate).Backup(ctxT(t), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "CREATEDB") {
		t.Errorf("Backup without CREATEDB: %v; want an error that names CREATEDB", err)
	}
	// The test cluster trusts every local login, so an unknown role stands
	// in for a wrong password.
	bad := Postgres{URL: "postgresql://" + e.role + "_nosuch:s3cret-pw@127.0.0.1:5432/" + e.db}
	if _, err := bad.Size(ctxT(t)); err == nil || !strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("Size as an unknown role: %v; want an error about the user and password that does not show the password", err)
	}
	gone := Postgres{URL: "postgresql://" + e.role + ":" + e.password + "@127.0.0.1:5432/" + e.db + "_nosuch"}
	if _, err := gone.Checksum(ctxT(t)); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Checksum of a missing database: %v", err)
	}
	if err := e.pg("").Restore(ctxT(t), erp.Backup{Method: "sqlite-file"}); err == nil {
		t.Error("Restore of an SQLite backup succeeded")
	}
}

func TestDerivedName(t *testing.T) {
	long := strings.Repeat("a", 70)
	if got := derivedName(long, "_upkeep_restore"); len(got) != 63 || !strings.HasSuffix(got, "_upkeep_restore") {
		t.Errorf("derivedName of a 70-byte name = %q (%d bytes)", got, len(got))
	}
	if got := derivedName("erp", "_x"); got != "erp_x" {
		t.Errorf("derivedName = %q", got)
	}
}

// TestCatalogSum: the catalog digest follows the relations, their columns
// and their sizes, and a clone's equals its source's.
func TestCatalogSum(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t, sample...)
	p := e.pg("")
	sum := func(db string, sizes bool) string {
		t.Helper()
		s, err := p.catalogSum(ctxT(t), db, sizes)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	start, shape := sum(e.db, true), sum(e.db, false)
	superExec(t, "postgres", "CREATE DATABASE "+e.db+"_clone TEMPLATE "+e.db+" STRATEGY FILE_COPY",
		"CREATE DATABASE "+e.db+"_wal TEMPLATE "+e.db+" STRATEGY WAL_LOG")
	for _, db := range []string{e.db + "_clone", e.db + "_wal"} {
		if got := sum(db, true); got != start {
			t.Errorf("the clone %s has catalog %s, its source %s", db, got, start)
		}
	}
	for _, change := range []string{
		"INSERT INTO party (name) SELECT 'more ' || g FROM generate_series(1, 2000) g",
		"ALTER TABLE empty_one ADD COLUMN c int",
		"CREATE TABLE extra.more (x int)",
	} {
		roleExec(t, e, e.db, change)
		if got := sum(e.db, true); got == start {
			t.Errorf("after %q the catalog digest did not change", change)
		}
		start = sum(e.db, true)
	}
	if got := sum(e.db, false); got == shape {
		t.Error("the shape digest did not change after a column and a table were added")
	}
}

// TestPostgresBackupRoom: a clone needs no room in the backup folder, a
// dump up to the database's size.
func TestPostgresBackupRoom(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t, sample...)
	size, err := e.pg("").Size(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if room, err := e.pg(MethodPGTemplate).BackupRoom(ctxT(t), t.TempDir()); err != nil || room != 0 {
		t.Errorf("pg-template BackupRoom = %d, %v; want 0", room, err)
	}
	if room, err := e.pg(MethodPGDump).BackupRoom(ctxT(t), t.TempDir()); err != nil || room != size {
		t.Errorf("pg-dump BackupRoom = %d, %v; want the size %d", room, err, size)
	}
}

// TestPostgresCopyLive: the rehearsal's copy is made while a session holds
// a transaction open on the live database, has its content, owner,
// settings and privileges, and DropCopy removes it but refuses live.
func TestPostgresCopyLive(t *testing.T) {
	t.Parallel()
	e := newPGEnv(t, sample...)
	superExec(t, "postgres", "ALTER DATABASE "+e.db+" SET work_mem TO '8MB'")
	session, err := pgx.Connect(ctxT(t), e.url())
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close(context.Background())
	tx, err := session.Begin(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	p := e.pg("")
	name := e.db + "_rehearsal"
	if err := p.CopyLive(ctxT(t), e.db, t.TempDir()); err == nil {
		t.Error("CopyLive onto the live database's own name succeeded")
	}
	if err := p.CopyLive(ctxT(t), name, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	copied := Postgres{URL: strings.TrimSuffix(e.url(), e.db) + name}
	if got, want := checksum(t, copied), checksum(t, p); got != want {
		t.Errorf("the copy's checksum %s, live %s", got, want)
	}
	if got, want := strings.ReplaceAll(propsOf(t, name), e.role, "DB"), propsOf(t, e.db); got != want {
		t.Errorf("the copy's owner, settings and privileges %s, live %s", got, want)
	}
	if err := p.DropCopy(ctxT(t), e.db); err == nil {
		t.Error("DropCopy dropped the live database")
	}
	for range 2 {
		if err := p.DropCopy(ctxT(t), name); err != nil {
			t.Fatal(err)
		}
	}
}

func superConn(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctxT(t), pgSuperURL)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
