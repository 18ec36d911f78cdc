//go:build linux

package dbcopy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/agent/erp"
)

// The crash tests run a backup or a restore in a child process (this test
// binary, TestHelperCrashAt) that SIGKILLs itself at one boundary, then
// check that the live database is either untouched (a backup cut short)
// or, after Restore runs again in the parent, exactly as before.
// UPKEEP_BIG_CRASH=1 does it on databases over 500 MB.

const (
	crashBoundaryEnv = "DBCOPY_CRASH_AT"
	crashOpEnv       = "DBCOPY_CRASH_OP" // JSON crashOp
)

// crashOp is what the child does.
type crashOp struct {
	URL, SQLite, Dir string
	Restore          *erp.Backup
}

// TestHelperCrashAt is the child: it does the crashOp and kills itself at
// the boundary named in DBCOPY_CRASH_AT.
func TestHelperCrashAt(t *testing.T) {
	at := os.Getenv(crashBoundaryEnv)
	if at == "" {
		t.Skip("a helper process for TestCrashAtEveryBoundaryConverges")
	}
	var op crashOp
	if err := json.Unmarshal([]byte(os.Getenv(crashOpEnv)), &op); err != nil {
		t.Fatal(err)
	}
	crashAt = func(b string) {
		if b == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	ctx := context.Background()
	var err error
	switch {
	case op.Restore != nil && op.URL != "":
		err = Postgres{URL: op.URL}.Restore(ctx, *op.Restore)
	case op.Restore != nil:
		err = RestoreSQLite(*op.Restore, op.SQLite)
	case op.URL != "":
		_, err = Postgres{URL: op.URL}.Backup(ctx, op.Dir)
	default:
		_, err = BackupSQLite(ctx, op.SQLite, op.Dir)
	}
	t.Fatalf("the boundary %s was not reached (error %v)", at, err)
}

// crashChild runs op in a child that must die of SIGKILL at boundary.
func crashChild(t *testing.T, boundary string, op crashOp) {
	t.Helper()
	data, _ := json.Marshal(op)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashAt$")
	cmd.Env = append(os.Environ(), crashBoundaryEnv+"="+boundary, crashOpEnv+"="+string(data))
	out, err := cmd.CombinedOutput()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if err == nil || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed at %s: %v\n%s", boundary, err, out)
	}
}

// bigCrash says whether to run on databases over 500 MB.
func bigCrash() bool { return os.Getenv("UPKEEP_BIG_CRASH") == "1" }

func TestCrashAtEveryBoundaryConverges(t *testing.T) {
	t.Run("postgresql pg-template", testPostgresCrash)
	t.Run("sqlite", testSQLiteCrash)
}

func testPostgresCrash(t *testing.T) {
	fill := sample
	if bigCrash() {
		fill = append(fill, `CREATE TABLE big (id int PRIMARY KEY, a text, b text)`,
			`INSERT INTO big SELECT g, md5(g::text), repeat(md5(g::text), 8) FROM generate_series(1, 1500000) g`)
	}
	e := newPGEnv(t, fill...)
	p := e.pg(MethodPGTemplate)
	if bigCrash() {
		size, _ := p.Size(ctxT(t))
		t.Logf("database size %d MiB", size>>20)
		if size < 500<<20 {
			t.Fatalf("the big database has %d MiB, want over 500", size>>20)
		}
	}
	before := checksum(t, p)
	for _, at := range []string{"pg-cloned", "pg-closed"} {
		crashChild(t, at, crashOp{URL: e.url(), Dir: t.TempDir()})
		if got := checksum(t, p); got != before {
			t.Fatalf("a backup killed at %s changed the live database", at)
		}
		superExec(t, "postgres", dropLeftovers(t, e.db)...) // what the runner's journal never recorded
	}
	for _, at := range []string{"pg-reopened", "pg-set-aside", "pg-renamed"} {
		b, err := p.Backup(ctxT(t), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		roleExec(t, e, e.db, "INSERT INTO party (name) SELECT 'update ' || g FROM generate_series(1, 3000) g", "ALTER TABLE dup ADD COLUMN c int")
		crashChild(t, at, crashOp{URL: e.url(), Restore: &b})
		if err := p.Restore(ctxT(t), b); err != nil {
			t.Fatalf("Restore after a kill at %s: %v", at, err)
		}
		if got := checksum(t, p); got != before {
			t.Fatalf("after a kill at %s and Restore again the database differs from before", at)
		}
	}
}

// dropLeftovers lists DROP statements for the copies a killed backup left.
func dropLeftovers(t *testing.T, live string) []string {
	t.Helper()
	conn := superConn(t)
	defer conn.Close(context.Background())
	rows, _ := conn.Query(ctxT(t), "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", live+"_upkeep_")
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err == nil {
			out = append(out, "DROP DATABASE "+ident(n)+" WITH (FORCE)")
		}
	}
	if len(out) == 0 {
		return []string{"SELECT 1"}
	}
	return out
}

func testSQLiteCrash(t *testing.T) {
	live := filepath.Join(t.TempDir(), "erp.sqlite")
	rows := 2000
	if bigCrash() {
		rows = 1_400_000
	}
	fillSQLite(t, live, rows)
	if st, _ := os.Stat(live); bigCrash() && st.Size() < 500<<20 {
		t.Fatalf("the big database has %d MiB, want over 500", st.Size()>>20)
	}
	before, err := SQLiteChecksum(ctxT(t), live)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	crashChild(t, "sqlite-copied", crashOp{SQLite: live, Dir: dir})
	if got, _ := SQLiteChecksum(ctxT(t), live); got != before {
		t.Fatal("a backup killed after the copy changed the live database")
	}
	for i, at := range []string{"sqlite-restore-copied", "sqlite-journals-removed", "sqlite-renamed"} {
		b, err := BackupSQLite(ctxT(t), live, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		sqliteExec(t, live, "UPDATE t SET b = 'changed "+strconv.Itoa(i)+"' WHERE a % 7 = 0")
		crashChild(t, at, crashOp{SQLite: live, Restore: &b})
		if err := RestoreSQLite(b, live); err != nil {
			t.Fatalf("Restore after a kill at %s: %v", at, err)
		}
		if got, _ := SQLiteChecksum(ctxT(t), live); got != before {
			t.Fatalf("after a kill at %s and Restore again the database differs from before", at)
		}
	}
}

func fillSQLite(t *testing.T, path string, rows int) {
	t.Helper()
	sqliteExec(t, path, "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)",
		fmt.Sprintf("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) INSERT INTO t SELECT i, printf('%%.360c %%d', 'x', i) FROM n", rows))
}

func sqliteExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sqlx.Open("sqlite3", sqliteDSN(path, "mode=rwc"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", strings.SplitN(s, " ", 4)[:3], err)
		}
	}
}
