package tryton

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// The apply end-to-end tests (apply_e2e_test.go, apply_crash_test.go)
// drive the real upkeep program (built once per test binary) against a
// real Tryton 6.0 on SQLite and on PostgreSQL: a central repository over
// loopback HTTP serves upkeep_probe 6.0.1, which adds the column
// upkeep_probe.note and carries a pre script (.sql) and a post script
// (.py through Tryton's pool); variants of 6.0.1 fail at one step each.
// Every test has its own copy of the writer template database, overlay,
// server (pidfile control, tryton.ServerCommand) and agent state.

// probeRows are the records seeded before an apply; their ids and names
// must survive every apply, successful or restored.
const probeRows = 40

// Scripts of upkeep_probe 6.0.1 and its failing variants.
var (
	preAudit = sample.Script{Phase: "pre", Path: "migrations/6.0.1/a_audit.sql", To: probeV2,
		Body: "CREATE TABLE upkeep_probe_audit (id INTEGER PRIMARY KEY, what VARCHAR(64) NOT NULL);\n" +
			"INSERT INTO upkeep_probe_audit (id, what) VALUES (1, 'pre 6.0.1');\n"}
	postFill = sample.Script{Phase: "post", Path: "migrations/6.0.1/b_fill.py", To: probeV2, Body: `import os
from trytond.pool import Pool
from trytond.transaction import Transaction

db = os.environ['TRYTON_DATABASE']
with Transaction().start(db, 0) as transaction:
    pool = Pool(db)
    pool.init()
    Probe = pool.get('upkeep.probe')
    probes = Probe.search([])
    Probe.write(probes, {'note': 'filled by post'})
    transaction.commit()
print('filled', len(probes), 'probes:', os.environ['UPKEEP_MODULE'], os.environ['UPKEEP_FROM'], '->', os.environ['UPKEEP_TO'])
`}
	preFails  = sample.Script{Phase: "pre", Path: "migrations/6.0.1/b_check.sh", To: probeV2, Body: "echo 'pre: the data is not ready'\nexit 1\n"}
	postHangs = sample.Script{Phase: "post", Path: "migrations/6.0.1/c_hang.sh", To: probeV2, Body: "echo 'post: waiting forever'\nsleep 600\n"}
)

// variant is one version 6.0.1 of upkeep_probe as the repository serves it.
type variant struct {
	extra   string // Python added to the model's class body
	scripts []sample.Script
}

func goodVariant() variant {
	return variant{extra: probeNoteField, scripts: []sample.Script{preAudit, postFill}}
}

// probeArchive builds the module archive of upkeep_probe at version: the
// catalog manifest (upkeep.toml) beside the Tryton module's own files.
func probeArchive(t *testing.T, version string, v variant) []byte {
	t.Helper()
	dir, err := writeProbe(t.TempDir(), version, v.extra)
	if err != nil {
		t.Fatal(err)
	}
	m := sample.Module{Name: probeModule, Version: version, Summary: "Upkeep probe", Maturity: "confirmed-stable",
		DefaultUpgrade: true, Depends: []string{"ir>=6.0.0", "res>=6.0.0"}, Scripts: v.scripts}
	files := map[string]string{"upkeep.toml": m.Manifest()}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	for _, s := range v.scripts {
		files[s.Path] = s.Body
	}
	return zipFiles(t, files)
}

func zipFiles(t *testing.T, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err == nil {
			_, err = w.Write([]byte(files[n]))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// centralRepo is a central repository served over loopback HTTP.
type centralRepo struct {
	url  string
	root []byte
}

// serveProbe publishes ir and res at the installed trytond's version,
// upkeep_probe 6.0.0 (installed) and v as 6.0.1, and serves them until
// the test ends.
func serveProbe(t *testing.T, v variant) centralRepo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cr")
	res, err := repo.Init(dir, repo.InitOptions{BinBits: 2})
	if err != nil {
		t.Fatal(err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	trytond := packaged(t)["ir"]
	ir := sample.Module{Name: "ir", Version: trytond, Summary: "Tryton core", Core: true, Maturity: "confirmed-stable", DefaultUpgrade: true}
	resMod := sample.Module{Name: "res", Version: trytond, Summary: "Tryton users", Maturity: "confirmed-stable", DefaultUpgrade: true, Depends: []string{"ir>=6.0.0"}}
	var archives [][]byte
	for _, m := range []sample.Module{ir, resMod} {
		data, err := m.Archive()
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, data)
	}
	archives = append(archives, probeArchive(t, probeV1, variant{}), probeArchive(t, probeV2, v))
	for _, data := range archives {
		if _, err := s.Publish(context.Background(), data, repo.LocalActor("test")); err != nil {
			t.Fatal(err)
		}
	}
	h, err := repo.NewServer(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	root, err := os.ReadFile(res.RootPath)
	if err != nil {
		t.Fatal(err)
	}
	return centralRepo{url: srv.URL, root: root}
}

// upkeepProgram is cmd/upkeep, built once per test binary.
var upkeepProgram struct {
	once      sync.Once
	path, dir string
	err       error
}

func upkeepBin(t *testing.T) string {
	t.Helper()
	upkeepProgram.once.Do(func() {
		upkeepProgram.dir, upkeepProgram.err = os.MkdirTemp("", "tryton-apply-upkeep-")
		if upkeepProgram.err != nil {
			return
		}
		atExit(func() { os.RemoveAll(upkeepProgram.dir) })
		upkeepProgram.path, upkeepProgram.err = buildUpkeep(upkeepProgram.dir)
	})
	if upkeepProgram.err != nil {
		t.Fatal(upkeepProgram.err)
	}
	return upkeepProgram.path
}

func buildUpkeep(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if err != nil || root == "." {
		return "", fmt.Errorf("go env GOMOD: %q, %v: run the tests inside the module", gomod, err)
	}
	bin := filepath.Join(dir, "upkeep")
	cmd := exec.Command("go", "build", "-tags", "upkeep_testhooks", "-o", bin, "./cmd/upkeep") // the crash tests' stop
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/upkeep: %w\n%s", err, out)
	}
	return bin, nil
}

// agentOptions tune the agent's configuration of one test.
type agentOptions struct {
	scriptTimeout, healthTimeout string
	health                       string // extra TOML: [[erp.health]] checks
}

// applyInstance is one test's Tryton instance, running, with seeded rows,
// and the upkeep configuration that drives it.
type applyInstance struct {
	*writerInstance
	conf, state, pidfile string
}

// newApplyInstance makes a fresh instance from the backend's template,
// seeds probeRows records, starts its server and writes the agent's
// configuration for the repository cr.
func newApplyInstance(t *testing.T, backend string, cr centralRepo, o agentOptions) *applyInstance {
	t.Helper()
	wi := newWriterInstance(t, backend)
	ai := &applyInstance{writerInstance: wi, state: filepath.Join(wi.dir, "state"), pidfile: filepath.Join(wi.dir, "trytond.pid")}
	var rows []string
	for i := range probeRows {
		rows = append(rows, fmt.Sprintf("('probe %03d', 0, CURRENT_TIMESTAMP)", i))
	}
	if err := wi.w.ExecSQL(ctxT(t), "INSERT INTO upkeep_probe (name, create_uid, create_date) VALUES "+strings.Join(rows, ", ")); err != nil {
		t.Fatal(err)
	}
	if err := wi.w.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, wi.w)
	ai.conf = ai.writeConfig(t, cr, o)
	return ai
}

func (ai *applyInstance) writeConfig(t *testing.T, cr centralRepo, o agentOptions) string {
	t.Helper()
	if o.scriptTimeout == "" {
		o.scriptTimeout = "2m"
	}
	if o.healthTimeout == "" {
		o.healthTimeout = "1m"
	}
	root := filepath.Join(ai.dir, "root.json")
	if err := os.WriteFile(root, cr.root, 0o644); err != nil {
		t.Fatal(err)
	}
	start, _ := json.Marshal(ServerCommand(ai.cfg.Config, ai.pidfile, ""))
	body := fmt.Sprintf(`[erp]
kind = "tryton"

[erp.tryton]
trytond_conf = %q
database = %q
modules_overlay = %q
user = %q
password_file = %q

[erp.server]
pidfile = %q
start = %s
stop_timeout = "10s"
%s
[repository]
url = %q
trusted_root = %q

[state]
dir = %q

[apply]
script_timeout = %q
update_timeout = "5m"
health_timeout = %q
`, ai.cfg.TrytondConf, ai.name, ai.overlay, ai.cfg.User, ai.cfg.PasswordFile, ai.pidfile, start, o.health,
		cr.url, root, ai.state, o.scriptTimeout, o.healthTimeout)
	conf := filepath.Join(ai.dir, "upkeep.toml")
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// upkeep runs the upkeep program to its end and returns its exit code,
// stdout and stderr.
func (ai *applyInstance) upkeep(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(upkeepBin(t), append([]string{"--config", ai.conf}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "UPKEEP_TEST_STOP_AT=")
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("upkeep %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// result decodes the --json result of upkeep apply.
func result(t *testing.T, out, errOut string) apply.Result {
	t.Helper()
	var res apply.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("upkeep apply printed no result (%v):\n%s\nstderr:\n%s", err, out, errOut)
	}
	return res
}

// snapshot is what a restored apply must leave exactly as it was: the
// database's content and the module's overlay entry.
type snapshot struct{ db, files string }

func (ai *applyInstance) snapshot(t *testing.T) snapshot {
	t.Helper()
	return snapshot{db: ai.stableChecksum(t), files: entryHash(t, moduleEntry(ai.overlay, probeModule))}
}

// sessionLine is a dump line of the sessions that every logged-in health
// check opens and closes (a row and the id counter of ir_session).
var sessionLine = regexp.MustCompile(`(?m)^.*\bir_session\b.*\n`)

// stableChecksum is the whole database's content, computed without the
// adapter (sqlite3 .dump, pg_dump), except the sessions that the logged-in
// health checks open and close: their ids move on at every login.
func (ai *applyInstance) stableChecksum(t *testing.T) string {
	t.Helper()
	var cmd *exec.Cmd
	if ai.tm.pg == nil {
		cmd = exec.Command("sqlite3", ai.file, ".dump")
	} else {
		pg := ai.tm.pg
		cmd = exec.Command("pg_dump", "-h", "127.0.0.1", "-U", pg.role, "--no-owner", "-d", ai.name,
			"--exclude-table-data=ir_session", "--exclude-table-data=ir_session_id_seq")
		cmd.Env = append(os.Environ(), "PGPASSWORD="+pg.password)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	out = restrictKey.ReplaceAll(out, nil)
	out = sessionLine.ReplaceAll(out, nil)
	sum := sha256.Sum256(out)
	return hex.EncodeToString(sum[:])
}

// entryHash hashes an overlay entry: a symlink by its target, a folder by
// the names and contents of its files (bytecode caches left out).
func entryHash(t *testing.T, entry string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(entry, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(entry, p)
		switch {
		case d.Name() == "__pycache__":
			return filepath.SkipDir
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			fmt.Fprintf(h, "link %s %s\n", rel, target)
			return err
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			fmt.Fprintf(h, "file %s %d\n", rel, len(data))
			h.Write(data)
			return err
		}
		fmt.Fprintf(h, "dir %s\n", rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// probeData is the seeded records' count and the checksum of their ids
// and names, which no apply changes.
func (ai *applyInstance) probeData(t *testing.T) string {
	t.Helper()
	return queryValue(t, ai.w, "SELECT count(*) FROM upkeep_probe") + " " + ai.tableSum(t, "SELECT id, name FROM upkeep_probe")
}

// tableSum checksums the rows of queries, read through a connection of
// the test's own (dbcopy.Checksum: the rows' content, in any order).
func (ai *applyInstance) tableSum(t *testing.T, queries ...string) string {
	t.Helper()
	db, err := ai.w.openDB(true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum, err := dbcopy.Checksum(ctxT(t), db, queries...)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// checkOld checks that the instance is exactly as before and healthy.
func (ai *applyInstance) checkOld(t *testing.T, before snapshot) {
	t.Helper()
	waitHealthy(t, ai.w)
	after := ai.snapshot(t)
	if after.db != before.db {
		t.Errorf("the database differs from before the apply")
	}
	if after.files != before.files {
		t.Errorf("the overlay entry of %s differs from before the apply", probeModule)
	}
	if _, err := ai.w.QueryValue(ctxT(t), probeNewCol); err == nil {
		t.Errorf("the column upkeep_probe.note is still there")
	}
}

// checkNew checks that 6.0.1 is in place, migrated and served, with the
// seeded records intact and the post script's values.
func (ai *applyInstance) checkNew(t *testing.T, data string) {
	t.Helper()
	waitHealthy(t, ai.w)
	if got := ai.probeData(t); got != data {
		t.Errorf("the seeded records are %s after the apply, %s before", got, data)
	}
	if got := queryValue(t, ai.w, "SELECT count(*) FROM upkeep_probe WHERE note = 'filled by post'"); got != fmt.Sprint(probeRows) {
		t.Errorf("%s records hold the post script's note, want %d", got, probeRows)
	}
	if got := queryValue(t, ai.w, "SELECT what FROM upkeep_probe_audit WHERE id = 1"); got != "pre 6.0.1" {
		t.Errorf("the pre script's row = %q", got)
	}
	ai.checkInstalled(t, probeV2)
	notes := ai.readNotes(t)
	if len(notes) != probeRows || notes[0] != "filled by post" {
		t.Errorf("the running server reads %d notes (%.3q), want %d: it does not serve 6.0.1", len(notes), notes, probeRows)
	}
}

// checkInstalled checks the version upkeep installed reports.
func (ai *applyInstance) checkInstalled(t *testing.T, want string) {
	t.Helper()
	code, out, errOut := ai.upkeep(t, "installed", "--json")
	var rows []struct{ Module, Version string }
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("upkeep installed: exit %d, %v\n%s", code, err, errOut)
	}
	got := ""
	for _, r := range rows {
		if r.Module == probeModule {
			got = r.Version
		}
	}
	if got != want {
		t.Errorf("upkeep installed reports %s %q, want %s", probeModule, got, want)
	}
}

// readNotes logs in to the running server and reads every probe's note
// over JSON-RPC: only a server running 6.0.1's code knows the field.
func (ai *applyInstance) readNotes(t *testing.T) []string {
	t.Helper()
	ctx := ctxT(t)
	pw, err := readPassword(ai.cfg.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	var login []json.RawMessage
	if err := ai.w.call(ctx, ai.name, "", "common.db.login", []any{ai.cfg.User, map[string]string{"password": pw}}, &login); err != nil || len(login) != 2 {
		t.Fatalf("login: %v %s", err, login)
	}
	var uid int64
	var session string
	json.Unmarshal(login[0], &uid)
	json.Unmarshal(login[1], &session)
	auth := "Session " + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%s:%d:%s", ai.cfg.User, uid, session)))
	defer ai.w.logout(ctx, auth)
	var recs []struct{ Note string }
	if err := ai.w.call(ctx, ai.name, auth, "model.upkeep.probe.search_read", []any{[]any{}, 0, nil, nil, []string{"name", "note"}, map[string]any{}}, &recs); err != nil {
		t.Fatalf("read the probes over JSON-RPC: %v", err)
	}
	notes := make([]string, len(recs))
	for i, r := range recs {
		notes[i] = r.Note
	}
	return notes
}

// checkClean checks that the run left no backup, archive or staged folder.
func (ai *applyInstance) checkClean(t *testing.T) {
	t.Helper()
	for _, dir := range []string{filepath.Join(ai.state, "runs"), stagingOf(ai.overlay)} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
		}
	}
	if ai.tm.pg != nil {
		dbs, err := pgDatabases(ctxT(t), ai.name+"_")
		if err != nil || len(dbs) != 0 {
			t.Errorf("backup databases left behind: %v %v", dbs, err)
		}
	}
}
