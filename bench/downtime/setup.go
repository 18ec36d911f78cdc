package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// The benchmark's module: upkeep_bench 6.0.0 (a model with a name) is
// activated; 6.0.1 adds the column upkeep_bench.note.
const (
	module = "upkeep_bench"
	v1     = "6.0.0"
	v2     = "6.0.1"
)

var moduleFiles = map[string]string{
	"__init__.py": `from trytond.pool import Pool
from . import bench


def register():
    Pool.register(bench.Bench, module='upkeep_bench', type_='model')
`,
	"bench.py": `from trytond.model import ModelSQL, ModelView, fields


class Bench(ModelSQL, ModelView):
    'Upkeep Bench'
    __name__ = 'upkeep.bench'
    name = fields.Char('Name')
%s`,
}

// failingRegister makes a release's update fail once the new column is
// added: what a broken migration does, for -fail.
const failingRegister = `
    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        raise Exception('upkeep bench: this release fails its update on purpose (-fail)')
`

// writeModule writes upkeep_bench at version into dir/upkeep_bench and
// returns its files (for the archive); a failing one raises in its update.
func writeModule(dir, version string, failing bool) (map[string]string, error) {
	extra := ""
	if version != v1 {
		extra = "    note = fields.Char('Note')\n"
	}
	if failing {
		extra += failingRegister
	}
	files := map[string]string{
		"__init__.py": moduleFiles["__init__.py"],
		"bench.py":    fmt.Sprintf(moduleFiles["bench.py"], extra),
		"tryton.cfg":  "[tryton]\nversion=" + version + "\ndepends:\n    ir\n    res\n",
	}
	mod := filepath.Join(dir, module)
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return nil, err
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// archive is upkeep_bench's module archive: the catalog manifest beside
// the Tryton module's files.
func archive(version string, failing bool) ([]byte, error) {
	dir, err := os.MkdirTemp("", "downtime-archive-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files, err := writeModule(dir, version, failing)
	if err != nil {
		return nil, err
	}
	m := sample.Module{Name: module, Version: version, Summary: "Upkeep benchmark module", Maturity: "confirmed-stable",
		DefaultUpgrade: true, Depends: []string{"ir>=6.0.0", "res>=6.0.0"}}
	files["upkeep.toml"] = m.Manifest()
	return zipFiles(files)
}

func zipFiles(files map[string]string) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(files[n])); err != nil {
			return nil, err
		}
	}
	err := zw.Close()
	return buf.Bytes(), err
}

// centralRepo serves ir, res and both versions of upkeep_bench over
// loopback HTTP; close stops it.
type centralRepo struct {
	url, root string
	close     func()
}

func serveRepository(dir, trytond string, failing bool) (*centralRepo, error) {
	res, err := repo.Init(filepath.Join(dir, "cr"), repo.InitOptions{BinBits: 2})
	if err != nil {
		return nil, err
	}
	s, err := repo.Open(filepath.Join(dir, "cr"), repo.Options{})
	if err != nil {
		return nil, err
	}
	var archives [][]byte
	for _, m := range []sample.Module{
		{Name: "ir", Version: trytond, Summary: "Tryton core", Core: true, Maturity: "confirmed-stable", DefaultUpgrade: true},
		{Name: "res", Version: trytond, Summary: "Tryton users", Maturity: "confirmed-stable", DefaultUpgrade: true, Depends: []string{"ir>=6.0.0"}},
	} {
		data, err := m.Archive()
		if err != nil {
			return nil, err
		}
		archives = append(archives, data)
	}
	for _, v := range []string{v1, v2} {
		data, err := archive(v, failing && v == v2)
		if err != nil {
			return nil, err
		}
		archives = append(archives, data)
	}
	for _, data := range archives {
		if _, err := s.Publish(context.Background(), data, repo.LocalActor("downtime")); err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
	}
	h, err := repo.NewServer(s, nil)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(h)
	return &centralRepo{url: srv.URL, root: res.RootPath, close: func() { srv.Close(); s.Close() }}, nil
}

// base is one backend's prepared instance, which every run copies: an
// overlay with upkeep_bench 6.0.0 and a database with party and
// upkeep_bench activated.
type base struct {
	backend  string // "sqlite" or "postgresql"
	rows     int    // records seeded into upkeep_bench
	dir      string
	overlay  string
	passfile string
	dbFile   string // SQLite: the template file
	pg       *pgCluster
	pgTmpl   string // PostgreSQL: the template database
}

// prepare makes the backend's base instance; rows seeds that many
// upkeep_bench records.
func prepare(work, backend string, pg *pgCluster, rows int) (*base, error) {
	b := &base{backend: backend, rows: rows, dir: filepath.Join(work, fmt.Sprintf("%s-%d-base", backend, rows)), pg: pg}
	b.overlay, b.passfile = filepath.Join(b.dir, "overlay"), filepath.Join(b.dir, "passfile")
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return nil, err
	}
	if _, err := tryton.EnsureOverlay(b.overlay, ""); err != nil {
		return nil, err
	}
	if _, err := writeModule(filepath.Join(b.overlay, "trytond", "modules"), v1, false); err != nil {
		return nil, err
	}
	if err := os.WriteFile(b.passfile, []byte("admin-"+randHex(6)+"\n"), 0o600); err != nil {
		return nil, err
	}
	conf, name, err := b.newDatabase(b.dir, "tmpl")
	if err != nil {
		return nil, err
	}
	if backend == "postgresql" {
		b.pgTmpl = name
	}
	start := time.Now()
	err = b.admin(conf, name, "-u", "party", module, "--all", "--activate-dependencies", "--email", "admin@example.com")
	if err != nil {
		return nil, err
	}
	if rows > 0 {
		if err := b.seed(conf, name, rows); err != nil {
			return nil, err
		}
	}
	fmt.Printf("%s: base database made in %s\n", backend, time.Since(start).Round(100*time.Millisecond))
	return b, nil
}

// newDatabase makes an empty database (SQLite) or a copy of the base's
// (PostgreSQL, once the base exists) and returns a trytond.conf's
// [database] section for it and its name.
func (b *base) newDatabase(dir, tag string) (string, string, error) {
	if b.backend == "sqlite" {
		file := filepath.Join(dir, "db", "erp.sqlite")
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return "", "", err
		}
		var err error
		if b.dbFile == "" {
			b.dbFile = file
			err = os.WriteFile(file, nil, 0o644) // trytond refuses a missing file
		} else {
			err = copyFile(b.dbFile, file)
		}
		return fmt.Sprintf("[database]\nuri = sqlite://\npath = %s\nlanguage = en\n", filepath.Dir(file)), "erp", err
	}
	name := b.pg.role + "_" + tag
	err := b.pg.createDB(name, b.pgTmpl)
	if err == nil && b.pgTmpl != "" {
		// The copy's blocks are dirty in shared buffers; a production
		// database has been through its checkpoints. Without this, the
		// next checkpoint (the one a FILE_COPY clone forces) writes them.
		_, err = psql("CHECKPOINT")
	}
	return fmt.Sprintf("[database]\nuri = postgresql://%s:%s@127.0.0.1:5432/\nlanguage = en\n", b.pg.role, b.pg.password), name, err
}

// admin runs trytond-admin on the base's overlay.
func (b *base) admin(section, db string, args ...string) error {
	conf := filepath.Join(b.dir, "trytond.conf")
	if err := os.WriteFile(conf, []byte(section), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(tryton.DefaultAdmin, append([]string{"-c", conf, "-d", db}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+b.overlay, "TRYTONPASSFILE="+b.passfile, "PYTHONDONTWRITEBYTECODE=1")
	cmd.Dir = b.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("trytond-admin %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// seed inserts rows upkeep_bench records through trytond-console.
func (b *base) seed(section, db string, rows int) error {
	script := fmt.Sprintf("cursor = transaction.connection.cursor()\n"+
		"cursor.execute(\"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "+
		"INSERT INTO upkeep_bench (name, create_uid, create_date) SELECT 'bench ' || i, 0, CURRENT_TIMESTAMP FROM n\")\n"+
		"transaction.commit()\n", rows)
	conf := filepath.Join(b.dir, "trytond.conf")
	cmd := exec.Command("/usr/bin/trytond-console", "-c", conf, "-d", db)
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+b.overlay, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("Traceback")) {
		return fmt.Errorf("seed %d rows: %v\n%s", rows, err, out)
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
