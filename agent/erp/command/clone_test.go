package command_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/command"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/internal/testwait"
	"github.com/upkeep-erp/upkeep/platform"
)

// neutralSchema adds OpenERP's scheduled jobs and mail servers.
const neutralSchema = `CREATE TABLE ir_cron (id serial PRIMARY KEY, name varchar NOT NULL, active boolean DEFAULT true);
CREATE TABLE ir_mail_server (id serial PRIMARY KEY, smtp_host varchar NOT NULL, active boolean DEFAULT true);
INSERT INTO ir_cron (name) VALUES ('mail queue'), ('backups');
INSERT INTO ir_mail_server (smtp_host) VALUES ('smtp.example.com');`

// pgRehearsable is odooInstance with [erp.command.rehearsal] for the
// server stand-in and the update script, its server running.
func pgRehearsable(t *testing.T) (*command.Adapter, string) {
	t.Helper()
	dbURL := pgDatabase(t)
	conn, err := pgx.Connect(ctxT(t), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctxT(t), neutralSchema); err != nil {
		t.Fatal(err)
	}
	addons := filepath.Join(t.TempDir(), "addons")
	writeModules(t, addons, odooModules)
	script, err := filepath.Abs(filepath.Join("testdata", "odoo-update.sh"))
	if err != nil {
		t.Fatal(err)
	}
	update := []string{"sh", script, "-u", "{modules}", "-i", "{install}", "--disable", "{disable}"}
	c := config.Command{Database: dbURL, ModulesDir: addons, Update: update, Rehearsal: config.RehearsalCommand{
		Start:  []string{self(t), modeServe, "127.0.0.1:{port}", "{pidfile}", "{database_url}"},
		Update: update,
		Health: []string{self(t), modeHealth, "http://127.0.0.1:{port}/health"},
	}}
	a := newAdapter(t, c, demoServer(t, t.TempDir(), "127.0.0.1:1"))
	return a, dbURL
}

// TestPostgresCloneLeavesLiveSessionsAlone copies a PostgreSQL ERP while a
// session on it stays open: the copy holds the same content, its
// neutralization and update touch only the copy, its server runs and
// passes the configured health command, and cleanup drops it all.
func TestPostgresCloneLeavesLiveSessionsAlone(t *testing.T) {
	a, dbURL := pgRehearsable(t)
	live := dbcopy.Postgres{URL: dbURL}
	session, err := pgx.Connect(ctxT(t), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close(context.Background())
	before, err := live.Checksum(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c, cleanup, err := a.Clone(ctxT(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(dbURL, pgServer) + "_upkeep_rehearsal_"
	copyURL := copyURLOf(t, name)
	if sum, err := (dbcopy.Postgres{URL: copyURL}).Checksum(ctxT(t)); err != nil || sum != before {
		t.Errorf("the copy's content %s (%v), the live database's %s", sum, err, before)
	}
	if err := session.Ping(ctxT(t)); err != nil {
		t.Errorf("the live database's open session was ended: %v", err)
	}
	if err := c.(erp.Neutralizer).Neutralize(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctxT(t), erp.UpdateRequest{Modules: []string{"sale"}}, nil); err != nil {
		t.Fatal(err)
	}
	for db, want := range map[string]string{copyURL: "0", dbURL: "2"} {
		if n := queryPG(t, db, "SELECT count(*) FROM ir_cron WHERE active"); n != want {
			t.Errorf("%s: %s scheduled jobs active, want %s", db, n, want)
		}
	}
	if after, _ := live.Checksum(ctxT(t)); after != before {
		t.Error("the live database changed")
	}
	if err := c.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	pid := erptest.PIDIn(t, filepath.Join(dir, command.ClonePIDFile))
	waitHealthy(t, c)
	if err := cleanup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	checkCopyDropped(t, name, pid)
}

// TestPostgresDiscard: Discard, from the folder alone, stops a copy's
// server and drops its database, and is a no-op the second time.
func TestPostgresDiscard(t *testing.T) {
	a, dbURL := pgRehearsable(t)
	dir := t.TempDir()
	c, _, err := a.Clone(ctxT(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	pid := erptest.PIDIn(t, filepath.Join(dir, command.ClonePIDFile))
	for range 2 {
		if err := a.Discard(ctxT(t), dir); err != nil {
			t.Fatal(err)
		}
	}
	checkCopyDropped(t, strings.TrimPrefix(dbURL, pgServer)+"_upkeep_rehearsal_", pid)
}

// TestCloneNeedsItsCommandLines: without [erp.command.rehearsal], Clone
// says what to configure and copies nothing.
func TestCloneNeedsItsCommandLines(t *testing.T) {
	a, _ := demoAdapter(t)
	dir := t.TempDir()
	if _, _, err := a.Clone(ctxT(t), dir); err == nil || !strings.Contains(err.Error(), "[erp.command.rehearsal]") {
		t.Errorf("Clone without rehearsal command lines: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Clone left %d entries in the copy's folder", len(entries))
	}
}

// TestNeutralizeSkipsMissingTables: an ERP without ir_mail_server has its
// scheduled jobs deactivated all the same.
func TestNeutralizeSkipsMissingTables(t *testing.T) {
	a, dir := demoAdapter(t)
	if err := a.ExecSQL(ctxT(t), "DROP TABLE ir_mail_server"); err != nil {
		t.Fatal(err)
	}
	if err := a.Neutralize(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if v, _ := a.QueryValue(ctxT(t), "SELECT count(*) FROM ir_cron WHERE active"); v != "0" {
		t.Errorf("active scheduled jobs in %s after Neutralize: %s", demoerp.DBPath(dir), v)
	}
}

// copyURLOf returns the URL of the one database whose name starts with prefix.
func copyURLOf(t *testing.T, prefix string) string {
	t.Helper()
	names := databasesLike(t, prefix)
	if len(names) != 1 {
		t.Fatalf("databases named %s…: %v, want one copy", prefix, names)
	}
	return pgServer + names[0]
}

func databasesLike(t *testing.T, prefix string) []string {
	t.Helper()
	conn, err := pgx.Connect(ctxT(t), pgServer+"postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctxT(t), "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func queryPG(t *testing.T, url, q string) string {
	t.Helper()
	conn, err := pgx.Connect(ctxT(t), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctxT(t), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(n)
}

func waitHealthy(t *testing.T, w erp.Writer) {
	t.Helper()
	var err error
	if !testwait.Until(20*time.Second, func() bool { err = w.Health(ctxT(t)); return err == nil }) {
		t.Fatalf("the copy is not healthy: %v", err)
	}
}

func checkCopyDropped(t *testing.T, prefix string, pid int) {
	t.Helper()
	if names := databasesLike(t, prefix); len(names) != 0 {
		t.Errorf("the copy's database is still there: %v", names)
	}
	if platform.ProcessAlive(pid) {
		t.Errorf("the copy's server (pid %d) still runs", pid)
	}
}
