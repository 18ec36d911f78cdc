package tryton

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real Tryton 6.0 the tests drive: Debian's tryton-server and
// tryton-modules-* packages (scripts/ensure-deps.sh installs them).
const (
	sysTrytond   = "/usr/lib/python3/dist-packages/trytond"
	trytondAdmin = "/usr/bin/trytond-admin"
	adminTimeout = 5 * time.Minute
)

// instance is a Tryton instance set up for the tests: a module overlay, a
// trytond.conf and a database with party (and so country) activated.
type instance struct {
	dir     string // the temporary folder holding everything
	overlay string // the PYTHONPATH entry whose trytond/modules the agent controls
	conf    string
	db      string
	took    time.Duration // how long the setup took
}

func (in *instance) config() Config {
	return Config{TrytondConf: in.conf, Database: in.db, Overlay: in.overlay}
}

var (
	cleanupMu sync.Mutex
	cleanups  []func()
)

// atExit registers f to run once the whole test binary is done.
func atExit(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	os.Exit(code)
}

// inCI reports whether the tests run in CI, where a missing Tryton or
// PostgreSQL is a failure rather than a reason to skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail skips the test outside CI and fails it in CI.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// needTryton skips (fails, in CI) when Tryton 6.0 is not installed.
func needTryton(t *testing.T) {
	t.Helper()
	for _, p := range []string{trytondAdmin, filepath.Join(sysTrytond, "modules", "party", "tryton.cfg"), DefaultPython} {
		if _, err := os.Stat(p); err != nil {
			skipOrFail(t, "Tryton 6.0 is not installed (%v): run scripts/ensure-deps.sh (tryton-server, tryton-modules-party, python3-psycopg2)", err)
		}
	}
}

// makeOverlay builds the module overlay at dir (tryton.EnsureOverlay over
// the Debian trytond) and returns the PYTHONPATH entry (dir).
func makeOverlay(dir string) (string, error) {
	_, err := EnsureOverlay(dir, sysTrytond)
	return dir, err
}

// newInstanceDir makes the folder, overlay and admin password file of an instance.
func newInstanceDir(prefix string) (*instance, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	atExit(func() { os.RemoveAll(dir) })
	in := &instance{dir: dir, conf: filepath.Join(dir, "trytond.conf")}
	if in.overlay, err = makeOverlay(filepath.Join(dir, "overlay")); err != nil {
		return nil, err
	}
	return in, os.WriteFile(filepath.Join(dir, "passfile"), []byte("admin-"+randHex(8)+"\n"), 0o600)
}

// activateParty initialises the database and activates party (with its
// dependency country): one trytond-admin run, --all plus -u party.
func (in *instance) activateParty() error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, trytondAdmin, "-c", in.conf, "-d", in.db,
		"-u", "party", "--all", "--activate-dependencies", "--email", "admin@example.com")
	cmd.Dir = in.dir
	cmd.Env = append(os.Environ(), "PYTHONPATH="+in.overlay, "TRYTONPASSFILE="+filepath.Join(in.dir, "passfile"), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("trytond-admin -d %s -u party --all: %w\n%s", in.db, err, lastLines(string(out), 15))
	}
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var (
	sqliteOnce sync.Once
	sqliteInst *instance
	sqliteErr  error
)

// sqliteInstance sets up, once per test binary, an SQLite Tryton database.
func sqliteInstance(t *testing.T) *instance {
	t.Helper()
	needTryton(t)
	sqliteOnce.Do(func() {
		start := time.Now()
		sqliteInst, sqliteErr = setupSQLite()
		if sqliteErr == nil {
			sqliteInst.took = time.Since(start)
		}
	})
	if sqliteErr != nil {
		t.Fatalf("set up the SQLite Tryton database: %v", sqliteErr)
	}
	return sqliteInst
}

func setupSQLite() (*instance, error) {
	in, err := newInstanceDir("upkeep-tryton-sqlite-")
	if err != nil {
		return nil, err
	}
	in.db = "erp"
	dbDir := filepath.Join(in.dir, "db")
	conf := fmt.Sprintf("[database]\nuri = sqlite://\npath = %s\nlanguage = en\n", dbDir)
	if err := os.WriteFile(in.conf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		return nil, err
	}
	// trytond's sqlite backend refuses a database file that does not exist.
	if err := os.WriteFile(filepath.Join(dbDir, in.db+".sqlite"), nil, 0o644); err != nil {
		return nil, err
	}
	return in, in.activateParty()
}

// packaged returns what the tests expect a fresh instance to report: ir and
// res at the trytond version, party and country at their packaged versions,
// all read from the files on disk independently of the code under test.
func packaged(t *testing.T) map[string]string {
	t.Helper()
	trytond := grep(t, filepath.Join(sysTrytond, "__init__.py"), `(?m)^__version__ = "([^"]+)"`)
	want := map[string]string{"ir": trytond, "res": trytond}
	for _, m := range []string{"party", "country"} {
		want[m] = grep(t, filepath.Join(sysTrytond, "modules", m, "tryton.cfg"), `(?m)^version\s*=\s*(\S+)`)
	}
	return want
}

func grep(t *testing.T, file, expr string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(expr).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no match for %s", file, expr)
	}
	return strings.TrimSpace(string(m[1]))
}
