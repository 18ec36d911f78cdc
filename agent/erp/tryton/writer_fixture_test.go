package tryton

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/catalog"
)

// The writer tests drive a small custom module, upkeep_probe, that only
// the test delivers: version 6.0.0 (a model with a name) is activated in
// a template database made once per test binary from the reader's
// instance; 6.0.1 adds a column; 6.0.2 raises during its migration.
const (
	probeModule  = "upkeep_probe"
	probeV1      = "6.0.0"
	probeV2      = "6.0.1"
	probeBroken  = "6.0.2"
	probeNewCol  = "SELECT count(note) FROM upkeep_probe"
	probeMenuRef = "upkeep_probe.menu_probe"
)

const probeInit = `from trytond.pool import Pool
from . import probe


def register():
    Pool.register(probe.Probe, module='upkeep_probe', type_='model')
`

const probeModel = `from trytond.model import ModelSQL, ModelView, fields


class Probe(ModelSQL, ModelView):
    'Upkeep Probe'
    __name__ = 'upkeep.probe'
    name = fields.Char('Name')
%s`

const probeXML = `<?xml version="1.0"?>
<tryton>
    <data>
        <record model="ir.action.act_window" id="act_probe">
            <field name="name">Probes</field>
            <field name="res_model">upkeep.probe</field>
        </record>
        <menuitem name="Probes" id="menu_probe" action="act_probe" sequence="99"/>
    </data>
</tryton>
`

// writeProbe writes upkeep_probe at version into dir/upkeep_probe and
// returns that folder; extra is Python added to the model's class body.
func writeProbe(dir, version, extra string) (string, error) {
	mod := filepath.Join(dir, probeModule)
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return "", err
	}
	files := map[string]string{
		"__init__.py": probeInit,
		"probe.py":    fmt.Sprintf(probeModel, extra),
		"probe.xml":   probeXML,
		"tryton.cfg":  "[tryton]\nversion=" + version + "\ndepends:\n    ir\n    res\nxml:\n    probe.xml\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	return mod, nil
}

const (
	probeNoteField = "    note = fields.Char('Note')\n"
	probeRaises    = `
    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        raise RuntimeError('upkeep probe: the migration of 6.0.2 failed')
`
)

// writerTemplate is a database with party and upkeep_probe activated, from
// which every writer test copies its own.
type writerTemplate struct {
	src  *instance // the reader's instance: its password file, its role
	conf string    // a trytond.conf for the template (its [database])
	db   string    // SQLite: the file; PostgreSQL: the database name
	pg   *pgInstance
	took time.Duration
}

var (
	tmplMu   sync.Mutex
	tmplOnce = map[string]*sync.Once{"sqlite": {}, "postgresql": {}}
	tmpls    = map[string]*writerTemplate{}
	tmplErrs = map[string]error{}
)

// template returns the backend's template, made once per test binary.
func template(t *testing.T, backend string) *writerTemplate {
	t.Helper()
	var src *instance
	var pg *pgInstance
	if backend == backendSQLite {
		src = sqliteInstance(t)
	} else {
		pg = postgresInstance(t)
		src = pg.instance
	}
	tmplMu.Lock()
	once := tmplOnce[backend]
	tmplMu.Unlock()
	once.Do(func() {
		start := time.Now()
		tm, err := makeTemplate(src, pg)
		if err == nil {
			tm.took = time.Since(start)
		}
		tmplMu.Lock()
		tmpls[backend], tmplErrs[backend] = tm, err
		tmplMu.Unlock()
	})
	tmplMu.Lock()
	defer tmplMu.Unlock()
	if err := tmplErrs[backend]; err != nil {
		t.Fatalf("make the %s writer template: %v", backend, err)
	}
	return tmpls[backend]
}

// makeTemplate copies the reader's database and activates upkeep_probe in it.
func makeTemplate(src *instance, pg *pgInstance) (*writerTemplate, error) {
	dir, err := os.MkdirTemp("", "upkeep-tryton-tmpl-")
	if err != nil {
		return nil, err
	}
	atExit(func() { os.RemoveAll(dir) })
	tm := &writerTemplate{src: src, pg: pg, conf: filepath.Join(dir, "trytond.conf")}
	var conf string
	if pg == nil {
		tm.db = filepath.Join(dir, "db", "erp.sqlite")
		if err := copyFile(filepath.Join(src.dir, "db", src.db+".sqlite"), tm.db); err != nil {
			return nil, err
		}
		conf = fmt.Sprintf("[database]\nuri = sqlite://\npath = %s\nlanguage = en\n", filepath.Dir(tm.db))
	} else {
		tm.db = pg.db + "_wtmpl"
		if err := cloneDB(pg.db, tm.db, pg.role); err != nil {
			return nil, err
		}
		conf = fmt.Sprintf("[database]\nuri = postgresql://%s:%s@%s/\nlanguage = en\n", pg.role, pg.password, pgHostPort)
	}
	if err := os.WriteFile(tm.conf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	overlay := filepath.Join(dir, "overlay")
	if _, err := EnsureOverlay(overlay, sysTrytond); err != nil {
		return nil, err
	}
	if _, err := writeProbe(overlayModules(overlay), probeV1, ""); err != nil {
		return nil, err
	}
	return tm, activate(tm.conf, tm.dbName(), overlay, probeModule)
}

// dbName is the template's database name, as trytond-admin -d takes it.
func (tm *writerTemplate) dbName() string {
	if tm.pg == nil {
		return strings.TrimSuffix(filepath.Base(tm.db), ".sqlite")
	}
	return tm.db
}

// activate runs trytond-admin -u mods on the overlay.
func activate(conf, db, overlay string, mods ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	args := append([]string{"-c", conf, "-d", db, "-u"}, mods...)
	cmd := exec.CommandContext(ctx, trytondAdmin, args...)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "PYTHONPATH="+overlay, "PYTHONDONTWRITEBYTECODE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("trytond-admin %s: %w\n%s", strings.Join(args, " "), err, lastLines(string(out), 15))
	}
	return nil
}

// cloneDB makes dst from src as a template, retrying while another test's
// session still reads src.
func cloneDB(src, dst, owner string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	for range 20 {
		if err = pgAdmin(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s", dst, src, owner)); err == nil || !strings.Contains(err.Error(), "being accessed") {
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writerInstance is one test's own Tryton instance: overlay, trytond.conf
// on a free port, a copy of the template database, and a pidfile server.
type writerInstance struct {
	tm      *writerTemplate
	dir     string
	overlay string
	cfg     WriterConfig
	w       *Writer
	file    string // SQLite: the database file
	name    string // the database name
}

// newWriterInstance makes a fresh instance; its server is stopped at the
// end of the test, its PostgreSQL databases dropped.
func newWriterInstance(t *testing.T, backend string) *writerInstance {
	t.Helper()
	tm := template(t, backend)
	wi := &writerInstance{tm: tm, dir: t.TempDir()}
	wi.overlay = filepath.Join(wi.dir, "overlay")
	if _, err := EnsureOverlay(wi.overlay, sysTrytond); err != nil {
		t.Fatal(err)
	}
	if _, err := writeProbe(overlayModules(wi.overlay), probeV1, ""); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(wi.dir, "trytond.conf")
	db := wi.copyDatabase(t)
	web := fmt.Sprintf("[web]\nlisten = 127.0.0.1:%d\n", freePort(t))
	if err := os.WriteFile(conf, []byte(db+web), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{TrytondConf: conf, Database: wi.name, Overlay: wi.overlay}
	pidfile := filepath.Join(wi.dir, "trytond.pid")
	srv, err := proc.New(proc.Config{PIDFile: pidfile, Start: ServerCommand(cfg, pidfile, ""), StopTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	wi.cfg = WriterConfig{Config: cfg, Server: srv, User: "admin", PasswordFile: filepath.Join(tm.src.dir, "passfile")}
	if wi.w, err = NewWriter(wi.cfg); err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("stop the test's trytond: %v", err)
		}
	})
	return wi
}

// copyDatabase copies the template's database and returns the [database]
// section that names the copy.
func (wi *writerInstance) copyDatabase(t *testing.T) string {
	t.Helper()
	if wi.tm.pg == nil {
		wi.name, wi.file = "erp", filepath.Join(wi.dir, "db", "erp.sqlite")
		if err := copyFile(wi.tm.db, wi.file); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("[database]\nuri = sqlite://\npath = %s\nlanguage = en\n", filepath.Dir(wi.file))
	}
	pg := wi.tm.pg
	name := fmt.Sprintf("%s_w%s", pg.db, randHex(3))
	if err := cloneDB(wi.tm.db, name, pg.role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropPrefixed(t, name) })
	wi.name = name
	return fmt.Sprintf("[database]\nuri = postgresql://%s:%s@%s/\nlanguage = en\n", pg.role, pg.password, pgHostPort)
}

// dropPrefixed drops every database whose name starts with name: the
// test's database and the backups derived from it.
func dropPrefixed(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbs, err := pgDatabases(ctx, name)
	if err != nil {
		t.Errorf("clean up: %v", err)
	}
	for _, db := range dbs {
		if err := pgAdmin(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
			t.Errorf("clean up: %v", err)
		}
	}
}

var restrictKey = regexp.MustCompile(`(?m)^\\(un)?restrict .*$`)

// checksum is the whole database's content, computed without the adapter:
// sqlite3 .dump, or pg_dump in plain text, hashed.
func (wi *writerInstance) checksum(t *testing.T) string {
	t.Helper()
	var cmd *exec.Cmd
	if wi.tm.pg == nil {
		cmd = exec.Command("sqlite3", wi.file, ".dump")
	} else {
		pg := wi.tm.pg
		cmd = exec.Command("pg_dump", "-h", "127.0.0.1", "-U", pg.role, "--no-owner", "-d", wi.name)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+pg.password)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	// pg_dump 15.14 and later write a random \restrict key on two lines.
	out = restrictKey.ReplaceAll(out, nil)
	sum := sha256.Sum256(out)
	return hex.EncodeToString(sum[:])
}

// fixture is the conformance suite's view of a fresh instance.
func (wi *writerInstance) fixture() erptest.WriterFixture {
	f := erptest.WriterFixture{
		Writer:      wi.w,
		Checksum:    wi.checksum,
		NewVersion:  func(t *testing.T) (string, string, catalog.Version) { return probeVersion(t, probeV2, probeNoteField) },
		NewColumn:   probeNewCol,
		Disableable: probeModule,
		BrokenVersion: func(t *testing.T) (string, string) {
			m, dir, _ := probeVersion(t, probeBroken, probeNoteField+probeRaises)
			return m, dir
		},
	}
	if wi.tm.pg != nil {
		f.Corrupt = func(t *testing.T, b erp.Backup) {
			// The copy is closed to connections and checked by its catalog:
			// only a superuser who opens it can change it, and a change of
			// a table's columns or size is what the check sees.
			if err := pgAdminOn(context.Background(), "postgres", "ALTER DATABASE "+b.Database+" WITH ALLOW_CONNECTIONS true"); err != nil {
				t.Fatal(err)
			}
			if err := pgAdminOn(context.Background(), b.Database, "ALTER TABLE ir_lang ADD COLUMN upkeep_tampered int"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// probeVersion writes upkeep_probe at version into a new folder.
func probeVersion(t *testing.T, version, extra string) (string, string, catalog.Version) {
	t.Helper()
	dir, err := writeProbe(t.TempDir(), version, extra)
	if err != nil {
		t.Fatal(err)
	}
	v, err := catalog.ParseVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	return probeModule, dir, v
}
