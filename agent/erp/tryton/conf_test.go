package tryton

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConf(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trytond.conf")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDBSettings(t *testing.T) {
	home, _ := os.UserHomeDir()
	tests := map[string]struct {
		conf                string
		env                 map[string]string
		uri, path, uriFrom  string
		wantFile, wantPGURL string
	}{
		"sqlite": {conf: "[database]\nuri = sqlite://\npath = /srv/db\n",
			uri: "sqlite://", path: "/srv/db", uriFrom: "[database] uri in", wantFile: "/srv/db/erp.sqlite"},
		"defaults without a [database] section": {conf: "[web]\nlisten = 127.0.0.1:8000\n",
			uri: "sqlite://", path: filepath.Join(home, "db"), uriFrom: "the default"},
		"environment fills what the file lacks": {conf: "[database]\nlanguage = en\n",
			env: map[string]string{"TRYTOND_DATABASE__URI": "postgresql://u:p@h:5433/", "TRYTOND_DATABASE__PATH": "/env/db"},
			uri: "postgresql://u:p@h:5433/", path: "/env/db", uriFrom: "environment TRYTOND_DATABASE__URI", wantPGURL: "postgresql://u:xxxxx@h:5433/erp"},
		"the file wins over the environment, as in trytond 6.0": {conf: "[database]\nuri: postgresql://u@/\npath=/file/db\n",
			env: map[string]string{"TRYTOND_DATABASE__URI": "sqlite://", "TRYTOND_DATABASE__PATH": "/env/db"},
			uri: "postgresql://u@/", path: "/file/db", uriFrom: "[database] uri in", wantPGURL: "postgresql://u@/erp"},
		"legacy TRYTOND_DATABASE_URI is the default uri": {conf: "",
			env: map[string]string{"TRYTOND_DATABASE_URI": "postgresql:///"}, uri: "postgresql:///", path: filepath.Join(home, "db"), uriFrom: "environment TRYTOND_DATABASE_URI"},
		"DEFAULT, comments, case and continuation": {conf: "# c\n[DEFAULT]\nPATH = /default/db\n[database]\n; c\nURI = sqlite://\n  ?x=1\n",
			uri: "sqlite://\n?x=1", path: "/default/db", uriFrom: "[database] uri in"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := readDBSettings(writeConf(t, tc.conf), envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if s.uri != tc.uri || s.path != tc.path || !strings.HasPrefix(s.uriFrom, tc.uriFrom) {
				t.Errorf("got uri %q (from %s) path %q, want %q (from %s) %q", s.uri, s.uriFrom, s.path, tc.uri, tc.uriFrom, tc.path)
			}
			if tc.wantFile == "" && tc.wantPGURL == "" {
				return
			}
			d, err := s.target("erp")
			if err != nil {
				t.Fatal(err)
			}
			if d.file != tc.wantFile || (d.pgURL != nil && d.pgURL.Redacted() != tc.wantPGURL) {
				t.Errorf("target %+v, want file %q pg %q", d, tc.wantFile, tc.wantPGURL)
			}
		})
	}
}

func TestBadConfig(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		conf    string
		db      string
		wantErr []string
		notIn   string
	}{
		"unsupported backend": {conf: "[database]\nuri = mysql://root:hunter2@localhost/\n", db: "erp",
			wantErr: []string{`\[database\] uri in .*trytond.conf`, `backend "mysql"`, `sqlite:// or postgresql://`}, notIn: "hunter2"},
		"uri does not parse": {conf: "[database]\nuri = postgresql://u:hunter2@h:port/\n", db: "erp",
			wantErr: []string{`\[database\] uri`, `does not parse`}, notIn: "hunter2"},
		"relative sqlite path": {conf: "[database]\nuri = sqlite://\npath = db\n", db: "erp",
			wantErr: []string{`\[database\] path`, `not absolute`}},
		"option before a section": {conf: "uri = sqlite://\n", db: "erp", wantErr: []string{`line 1`, `before any \[section\]`}},
		"line without a value":    {conf: "[database]\nuri\n", db: "erp", wantErr: []string{`line 2`, `key = value`}},
		"database with a path":    {conf: "[database]\n", db: "../erp", wantErr: []string{`erp\.tryton\.database`}},
		"database empty":          {conf: "[database]\n", db: "", wantErr: []string{`erp\.tryton\.database`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(Config{TrytondConf: writeConf(t, tc.conf), Database: tc.db})
			wantErr(t, err, tc.wantErr...)
			if tc.notIn != "" && err != nil && strings.Contains(err.Error(), tc.notIn) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	conf := writeConf(t, "[database]\nuri = sqlite://\npath = /srv/db\n")
	_, err := New(Config{Database: "erp"})
	wantErr(t, err, `erp\.tryton\.trytond_conf is empty`)
	_, err = New(Config{TrytondConf: conf + ".missing", Database: "erp"})
	wantErr(t, err, `erp\.tryton\.trytond_conf = ".*missing"`, `not a readable file`)
	_, err = New(Config{TrytondConf: conf, Database: "erp", PythonPath: []string{"overlay"}})
	wantErr(t, err, `erp\.tryton\.python_path\[0\] = "overlay" is not absolute`)
	r, err := New(Config{TrytondConf: conf, Database: "erp"})
	if err != nil {
		t.Fatal(err)
	}
	if r.cfg.Python != DefaultPython || r.cfg.Timeout != DefaultTimeout || r.Kind() != "tryton" {
		t.Errorf("defaults not filled in: %+v", r.cfg)
	}
}

// sqliteConf writes a trytond.conf for an SQLite database "erp" in a new
// folder and returns the conf and the database file (not created).
func sqliteConf(t *testing.T) (conf, file string) {
	t.Helper()
	dir := t.TempDir()
	conf = filepath.Join(dir, "trytond.conf")
	if err := os.WriteFile(conf, []byte("[database]\nuri = sqlite://\npath = "+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf, filepath.Join(dir, "erp.sqlite")
}

func TestSQLiteNotTryton(t *testing.T) {
	t.Parallel()
	conf, file := sqliteConf(t)
	if err := os.WriteFile(file, nil, 0o644); err != nil { // what `touch` leaves before trytond-admin --all
		t.Fatal(err)
	}
	_, err := mustNew(t, Config{TrytondConf: conf, Database: "erp"}).Installed(context.Background())
	wantErr(t, err, `no ir_module table`, `trytond-admin .* --all`)
	if err := os.WriteFile(file, []byte(strings.Repeat("not sqlite ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = mustNew(t, Config{TrytondConf: conf, Database: "erp"}).Installed(context.Background())
	wantErr(t, err, `is not an SQLite database`)
}

func TestSQLiteMissing(t *testing.T) {
	t.Parallel()
	conf, file := sqliteConf(t)
	_, err := mustNew(t, Config{TrytondConf: conf, Database: "erp"}).Installed(context.Background())
	wantErr(t, err, `SQLite database `+file+` does not exist`, `erp\.tryton\.database`, `\[database\] path`)
	if _, statErr := os.Stat(file); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("reading created %s", file)
	}
}

func TestPostgresUnreachable(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback: nothing listens there, the connection is refused.
	conf := writeConf(t, "[database]\nuri = postgresql://u:hunter2@127.0.0.1:1/\n")
	start := time.Now()
	_, err := mustNew(t, Config{TrytondConf: conf, Database: "erp"}).Installed(context.Background())
	wantErr(t, err, `cannot connect to PostgreSQL database erp`, `pg_lsclusters`, `\[database\] uri in`)
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the password: %v", err)
	}
	if d := time.Since(start); d > pgConnectTimeout+5*time.Second {
		t.Errorf("took %s", d)
	}
}

// fakeSQLite makes a database with an ir_module table holding ir, so that
// Installed gets as far as the Python helper.
func fakeSQLite(t *testing.T) string {
	t.Helper()
	conf, file := sqliteConf(t)
	db, err := sql.Open("sqlite3", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE ir_module (name TEXT, state TEXT); INSERT INTO ir_module VALUES ('ir', 'activated')`); err != nil {
		t.Fatal(err)
	}
	return conf
}

// fakePython writes an executable script standing in for the interpreter.
func fakePython(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelperTimeout(t *testing.T) {
	t.Parallel()
	cfg := Config{TrytondConf: fakeSQLite(t), Database: "erp", Python: fakePython(t, "exec sleep 30"), Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := mustNew(t, cfg).Installed(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a hung helper: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a hung helper held Installed for %s", d)
	}
}

func TestHelperGarbage(t *testing.T) {
	t.Parallel()
	cfg := Config{TrytondConf: fakeSQLite(t), Database: "erp", Python: fakePython(t, "echo not json; echo oops >&2")}
	_, err := mustNew(t, cfg).Installed(context.Background())
	wantErr(t, err, `decode the report`, `stderr: oops`)
	cfg.Python = fakePython(t, "echo Traceback >&2; exit 1")
	_, err = mustNew(t, cfg).Installed(context.Background())
	wantErr(t, err, `run .*python3`, `stderr: Traceback`, `exit status 1`)
}
