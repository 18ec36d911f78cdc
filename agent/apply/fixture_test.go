package apply_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// bins are the programs built for this package's tests: demo-erp at
// once, upkeep on first use (into demo-erp's folder).
var bins struct {
	demoERP string
	once    sync.Once
	upkeep  string
	err     error
}

func TestMain(m *testing.M) { erptest.Main(m, &bins.demoERP) }

// notes is the test module: 1.0.0 is installed; its 1.1.0 adds the column
// notes_item.color (pre script) and the table notes_tag (the ERP's update),
// then fills the column (post scripts). Variants break one step.
type notes struct {
	schema  string            // 1.1.0's schema.sql
	scripts []sample.Script   // 1.1.0's scripts
	extra   map[string]string // more files
}

const notesSchema10 = `CREATE TABLE IF NOT EXISTS notes_item (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
INSERT OR IGNORE INTO notes_item (id, body) VALUES (1, 'one'), (2, 'two'), (3, 'three');
`

func goodNotes() notes {
	return notes{
		schema: notesSchema10 + "CREATE TABLE IF NOT EXISTS notes_tag (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n",
		scripts: []sample.Script{
			{Phase: "pre", Path: "migrations/1.1.0/a_color.sql", To: "1.1.0", Body: "ALTER TABLE notes_item ADD COLUMN color TEXT NOT NULL DEFAULT 'none';\n"},
			{Phase: "post", Path: "migrations/1.1.0/b_fill.py", To: "1.1.0", Body: "import os, sqlite3\n" +
				"db = sqlite3.connect(os.environ['UPKEEP_DATABASE'])\n" +
				"db.execute(\"UPDATE notes_item SET color = 'blue' WHERE id = 1\")\ndb.commit()\n" +
				"print('filled color for', os.environ['UPKEEP_MODULE'], os.environ['UPKEEP_FROM'], '->', os.environ['UPKEEP_TO'])\n"},
			{Phase: "post", Path: "migrations/1.1.0/c_done.sh", To: "1.1.0", Body: "echo \"post done in $(basename \"$PWD\")\"\n"},
		},
	}
}

// archive builds a module archive with the given schema and scripts.
func archive(t testing.TB, name, version, schema string, scripts []sample.Script, extra map[string]string) []byte {
	t.Helper()
	m := sample.Module{Name: name, Version: version, Summary: "Notes for tests", Maturity: "confirmed-stable", DefaultUpgrade: true,
		Depends: []string{"core>=2.50.0"}, Scripts: scripts}
	files := map[string]string{"upkeep.toml": m.Manifest(), demoerp.SchemaFile: schema}
	for _, s := range scripts {
		files[s.Path] = s.Body
	}
	for k, v := range extra {
		files[k] = v
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, _ := zw.Create(n)
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixture is a demo ERP instance whose server runs, a central repository
// serving the demo catalog and the notes module over loopback HTTP, and
// the agent's state.
type fixture struct {
	dir, state, addr, pidfile string
	writer                    *demo.Writer
	store                     *store.Store
	client                    *fetch.Client            // the 2.50 repository's
	clients                   map[string]*fetch.Client // 2.50's and 3.0's
	repoURL                   string
	root                      []byte
	options                   scan.PlanOptions // what plan asks for
}

func newFixture(t *testing.T, n notes) *fixture {
	t.Helper()
	f := &fixture{}
	f.serveRepository(t, archive(t, "notes", "1.1.0", n.schema, n.scripts, n.extra), notes10(t))
	return f.newInstance(t)
}

func notes10(t *testing.T) []byte { return archive(t, "notes", "1.0.0", notesSchema10, nil, nil) }

// newInstance returns a fixture with a fresh instance, server and state on
// f's repository.
func (base *fixture) newInstance(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: filepath.Join(t.TempDir(), "erp"), state: filepath.Join(t.TempDir(), "state"),
		client: base.client, clients: base.clients, repoURL: base.repoURL, root: base.root}
	var archives [][]byte
	for _, nv := range [][2]string{{"core", "2.50.20"}, {"arp", "1.3.0"}, {"localization-es", "1.2.0"}, {"reports", "0.9.0"}} {
		data, err := sample.ArchiveOf(nv[0], nv[1])
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, data)
	}
	if err := demoerp.NewInstance(f.dir, append(archives, notes10(t))); err != nil {
		t.Fatal(err)
	}
	f.startServer(t)
	st, err := store.Open(f.state, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	return f
}

// serveRepository publishes the demo catalog and the notes archives.
func (f *fixture) serveRepository(t *testing.T, archives ...[]byte) {
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
	var all [][]byte
	for _, m := range sample.Catalog() {
		data, _ := m.Archive()
		all = append(all, data)
	}
	for _, data := range append(all, archives...) {
		if _, err := s.Publish(context.Background(), data, repo.LocalActor("test")); err != nil {
			t.Fatal(err)
		}
	}
	h, err := repo.NewServer(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); s.Close() })
	f.repoURL = srv.URL
	if f.root, err = os.ReadFile(res.RootPath); err != nil {
		t.Fatal(err)
	}
	f.clients = map[string]*fetch.Client{}
	for _, name := range []string{"2.50", "3.0"} {
		cl, err := fetch.New(fetch.Config{BaseURL: srv.URL, Repository: name, TrustedRoot: f.root, CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		f.clients[name] = cl
	}
	f.client = f.clients["2.50"]
}

// startServer runs demo-erp serve under pidfile control on a free port.
func (f *fixture) startServer(t *testing.T) {
	t.Helper()
	f.addr = erptest.FreeAddr(t)
	run := t.TempDir()
	f.pidfile = filepath.Join(run, "demo-erp.pid")
	srv, err := proc.New(proc.Config{PIDFile: f.pidfile, Log: filepath.Join(run, "demo-erp.log"), StopTimeout: 10 * time.Second,
		Start: f.serverCommand()})
	if err != nil {
		t.Fatal(err)
	}
	f.writer, err = demo.NewWriter(demo.Config{Dir: f.dir, URL: "http://" + f.addr, Command: []string{bins.demoERP}, Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.writer.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f.writer.Stop(ctx)
	})
	f.waitHealthy(t)
}

func (f *fixture) serverCommand() []string {
	return []string{bins.demoERP, "--dir", f.dir, "serve", "--addr", f.addr, "--pidfile", f.pidfile}
}

func (f *fixture) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := f.writer.Health(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo ERP is not healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// plan scans the instance against the repository, as the agent does.
func (f *fixture) plan(t testing.TB) *scan.Plan {
	t.Helper()
	p, err := f.scanPlan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) scanPlan(ctx context.Context) (*scan.Plan, error) {
	mods, err := f.writer.Installed(ctx)
	if err != nil {
		return nil, err
	}
	var listings []*catalog.Listing
	var installed []scan.Installed
	for _, m := range mods {
		installed = append(installed, scan.Installed{Module: m.Name, Version: m.Version, Core: m.Core})
	}
	for _, name := range []string{"2.50", "3.0"} {
		cl := f.clients[name]
		if _, err := cl.Check(ctx); err != nil {
			return nil, err
		}
		for _, m := range mods {
			l, err := cl.Listing(ctx, m.Name)
			if errors.Is(err, fetch.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			listings = append(listings, l)
		}
	}
	idx, err := scan.NewIndex(listings)
	if err != nil {
		return nil, err
	}
	stable, _ := catalog.ParseMaturity("confirmed-stable")
	rep, err := scan.Scan(idx, installed, scan.Policy{MinInstall: stable, MinUpdate: stable})
	if err != nil {
		return nil, err
	}
	return rep.Plan(f.options)
}

// runner returns a Runner on the fixture with short timeouts.
func (f *fixture) runner(events *[]apply.Event) *apply.Runner {
	return &apply.Runner{
		Writer: f.writer, Store: f.store, StateDir: f.state,
		FetcherFor: func(repository string) (apply.Fetcher, error) {
			if cl, ok := f.clients[repository]; ok {
				return cl, nil
			}
			return nil, fmt.Errorf("no repository %s", repository)
		},
		Rescan: f.scanPlan,
		Config: config.Apply{ScriptTimeout: config.Duration{Duration: 20 * time.Second}, UpdateTimeout: config.Duration{Duration: time.Minute},
			HealthTimeout: config.Duration{Duration: 20 * time.Second}},
		Progress: func(e apply.Event) {
			if events != nil {
				*events = append(*events, e)
			}
		},
	}
}

// snapshot is the instance's state that a failed apply must leave exact.
type snapshot struct{ db, files string }

func (f *fixture) snapshot(t *testing.T) snapshot {
	t.Helper()
	sum, err := dbcopy.SQLiteChecksum(context.Background(), demoerp.DBPath(f.dir))
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{db: sum, files: treeHash(t, filepath.Join(f.dir, demoerp.AddonsDir))}
}

// treeHash hashes the names and contents of every file under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s %v\n", rel, d.IsDir())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// query returns one value from the instance's database.
func (f *fixture) query(t *testing.T, q string) (string, error) {
	t.Helper()
	return f.writer.QueryValue(context.Background(), q)
}

// tableSum checksums one table's content.
func (f *fixture) tableSum(t *testing.T, table string) string {
	t.Helper()
	db, err := sqlx.Open("sqlite3", demoerp.DSN(demoerp.DBPath(f.dir), "mode=ro&_busy_timeout=10000"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum, err := dbcopy.Checksum(context.Background(), db, dbcopy.TableQueries([]string{table})...)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// upkeepBin builds cmd/upkeep once.
func upkeepBin(t *testing.T) string {
	t.Helper()
	bins.once.Do(func() { bins.upkeep, bins.err = buildUpkeep(filepath.Dir(bins.demoERP)) })
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return bins.upkeep
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
