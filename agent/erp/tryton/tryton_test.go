package tryton

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
)

func mustNew(t *testing.T, cfg Config) *Reader {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func installedMap(t *testing.T, r *Reader) map[string]erp.Module {
	t.Helper()
	mods, err := r.Installed(context.Background())
	if err != nil {
		t.Fatalf("Installed: %v", err)
	}
	out := map[string]erp.Module{}
	for _, m := range mods {
		out[m.Name] = m
	}
	return out
}

// wantErr fails unless err is non-nil and its message matches every pattern.
func wantErr(t *testing.T, err error, patterns ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one matching %q", patterns)
	}
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(err.Error()) {
			t.Errorf("error %q does not match %q", err, p)
		}
	}
}

func TestConformanceSQLite(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	t.Logf("SQLite instance set up in %s (overlay, trytond-admin -u party --all)", in.took.Round(time.Millisecond))
	start := time.Now()
	erptest.Run(t, func(t *testing.T) erptest.Fixture {
		return erptest.Fixture{
			Reader: mustNew(t, in.config()),
			Want:   packaged(t),
			Broken: func(t *testing.T) erp.Reader {
				cfg := in.config()
				cfg.Database = "no_such_db" // its file DIR/no_such_db.sqlite is missing
				return mustNew(t, cfg)
			},
		}
	})
	t.Logf("conformance suite on SQLite: %s", time.Since(start).Round(time.Millisecond))
}

func TestConformancePostgreSQL(t *testing.T) {
	t.Parallel()
	in := postgresInstance(t)
	t.Logf("PostgreSQL instance set up in %s (createdb, trytond-admin -u party --all)", in.took.Round(time.Millisecond))
	start := time.Now()
	erptest.Run(t, func(t *testing.T) erptest.Fixture {
		return erptest.Fixture{
			Reader: mustNew(t, in.config()),
			Want:   packaged(t),
			Broken: func(t *testing.T) erp.Reader {
				cfg := in.config()
				cfg.Database = in.db + "_nosuch"
				return mustNew(t, cfg)
			},
		}
	})
	t.Logf("conformance suite on PostgreSQL: %s", time.Since(start).Round(time.Millisecond))
}

func TestInstalledDetails(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	file := filepath.Join(in.dir, "db", in.db+".sqlite")
	before := readFile(t, file)
	got := installedMap(t, mustNew(t, in.config()))
	if readFile(t, file) != before {
		t.Error("reading changed the database file")
	}
	if len(got) != 4 {
		t.Errorf("installed %d modules, want ir, res, country, party", len(got))
	}
	if !got["ir"].Core || got["res"].Core || got["party"].Core {
		t.Errorf("only ir is the core: %+v", got)
	}
	if d := got["party"].Depends; strings.Join(d, ",") != "country,ir,res" {
		t.Errorf("party depends on %q, want country, ir, res (its tryton.cfg)", d)
	}
	if dir := got["party"].Dir; dir != filepath.Join(in.overlay, "trytond", "modules", "party") {
		t.Errorf("party's code is at %s, want it in the overlay: trytond was not run with the configured PYTHONPATH", dir)
	}
	for name, m := range got {
		if !m.DBVersion.IsZero() {
			t.Errorf("%s has DBVersion %s; Tryton records none", name, m.DBVersion)
		}
	}
}

// TestNewVersionThroughOverlay delivers party as a newer release through the
// overlay (a symlink swap, as the agent will) and reads the new version:
// versions come from the code on disk, not from the database.
func TestNewVersionThroughOverlay(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	dir := t.TempDir()
	overlay, err := makeOverlay(filepath.Join(dir, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	old := packaged(t)["party"]
	newVersion := strings.Join(strings.Split(old, ".")[:2], ".") + ".99"
	release := filepath.Join(dir, "releases", "party", newVersion)
	copyTree(t, filepath.Join(sysTrytond, "modules", "party"), release)
	setCfgVersion(t, filepath.Join(release, "tryton.cfg"), newVersion)
	link := filepath.Join(overlay, "trytond", "modules", "party")
	swapLink(t, release, link)

	cfg := in.config()
	cfg.Overlay = overlay
	r := mustNew(t, cfg)
	got := installedMap(t, r)
	if v := got["party"].Version.String(); v != newVersion {
		t.Errorf("party reported at %s after the swap, want %s", v, newVersion)
	}
	if got["party"].Dir != link {
		t.Errorf("party's code is at %s, want %s", got["party"].Dir, link)
	}
	if v := got["country"].Version.String(); v != packaged(t)["country"] {
		t.Errorf("country changed to %s", v)
	}
	swapLink(t, filepath.Join(sysTrytond, "modules", "party"), link) // roll the code back
	if v := installedMap(t, r)["party"].Version.String(); v != old {
		t.Errorf("party reported at %s after rolling back, want %s", v, old)
	}
}

// swapLink points the overlay entry link at target with LinkModule.
func swapLink(t *testing.T, target, link string) {
	t.Helper()
	root := filepath.Dir(filepath.Dir(filepath.Dir(link))) // ROOT/trytond/modules/NAME
	if _, err := LinkModule(root, filepath.Base(link), target); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-r", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -r %s %s: %v: %s", src, dst, err, out)
	}
}

func setCfgVersion(t *testing.T, cfgFile, v string) {
	t.Helper()
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^version\s*=.*$`)
	if !re.Match(b) {
		t.Fatalf("%s has no version= line", cfgFile)
	}
	if err := os.WriteFile(cfgFile, re.ReplaceAll(b, []byte("version="+v)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInstalledStates: modules marked for an upgrade or a removal are still
// installed; those not activated (or only about to be) are not.
func TestInstalledStates(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	cfg := copySQLite(t, in)
	db := filepath.Join(filepath.Dir(cfg.TrytondConf), "db", cfg.Database+".sqlite")
	sqlite(t, db, `UPDATE ir_module SET state = 'to upgrade' WHERE name = 'country';
		UPDATE ir_module SET state = 'to remove' WHERE name = 'party';
		UPDATE ir_module SET state = 'to activate' WHERE name = 'company'`)
	got := installedMap(t, mustNew(t, cfg))
	for _, name := range []string{"ir", "res", "country", "party"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s is missing", name)
		}
	}
	if _, ok := got["company"]; ok {
		t.Error("company (to activate) is reported as installed")
	}
}

// copySQLite copies the SQLite instance's database into a new folder with
// its own trytond.conf, for a test that changes it.
func copySQLite(t *testing.T, in *instance) Config {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, filepath.Join(in.dir, "db"), filepath.Join(dir, "db"))
	conf := filepath.Join(dir, "trytond.conf")
	if err := os.WriteFile(conf, []byte("[database]\nuri = sqlite://\npath = "+filepath.Join(dir, "db")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return Config{TrytondConf: conf, Database: in.db, PythonPath: []string{in.overlay}}
}

func sqlite(t *testing.T, db, sql string) {
	t.Helper()
	if out, err := exec.Command("sqlite3", db, sql).CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 %s: %v: %s", db, err, out)
	}
}

// TestMissingModuleCode: a module the database has activated but whose code
// is nowhere on the module path is an error naming it.
func TestMissingModuleCode(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	cfg := copySQLite(t, in)
	db := filepath.Join(filepath.Dir(cfg.TrytondConf), "db", cfg.Database+".sqlite")
	sqlite(t, db, `INSERT INTO ir_module (name, state) VALUES ('acme_gone', 'activated')`)
	_, err := mustNew(t, cfg).Installed(context.Background())
	t.Log(err)
	wantErr(t, err, `acme_gone \(OSError: File not found : .*acme_gone/tryton.cfg`, `python_path`, regexp.QuoteMeta(in.overlay))
}

// TestRemovedFromOverlayFallsBack: Debian registers its modules as
// trytond.modules entry points, so a module taken out of the overlay is
// still found, in dist-packages: the overlay can replace a packaged module,
// never hide it.
func TestRemovedFromOverlayFallsBack(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	overlay, err := makeOverlay(filepath.Join(t.TempDir(), "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(overlay, "trytond", "modules", "party")); err != nil {
		t.Fatal(err)
	}
	cfg := in.config()
	cfg.Overlay = overlay
	party := installedMap(t, mustNew(t, cfg))["party"]
	if want := filepath.Join(sysTrytond, "modules", "party"); party.Dir != want {
		t.Errorf("party found at %q, want the packaged copy %s", party.Dir, want)
	}
}

func TestPythonMissing(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	cfg := in.config()
	cfg.Python = "/nonexistent/bin/python3"
	_, err := mustNew(t, cfg).Installed(context.Background())
	wantErr(t, err, `/nonexistent/bin/python3 was not found`, `erp\.tryton\.python`)
}

func TestTrytondNotImportable(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	broken := t.TempDir()
	if err := os.MkdirAll(filepath.Join(broken, "trytond"), 0o755); err != nil {
		t.Fatal(err)
	}
	initPy := filepath.Join(broken, "trytond", "__init__.py")
	if err := os.WriteFile(initPy, []byte("raise ImportError('a broken trytond')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := in.config()
	cfg.Overlay, cfg.PythonPath = "", []string{broken}
	_, err := mustNew(t, cfg).Installed(context.Background())
	wantErr(t, err, `cannot load Tryton`, `a broken trytond`, `python_path`)
}

func TestPostgresNotTrytonDatabase(t *testing.T) {
	t.Parallel()
	in := postgresInstance(t)
	cfg := in.config()
	cfg.Database = in.empty
	_, err := mustNew(t, cfg).Installed(context.Background())
	wantErr(t, err, `no ir_module table`, `not a Tryton database`, in.empty)
}

func TestPostgresMissingDatabase(t *testing.T) {
	t.Parallel()
	in := postgresInstance(t)
	cfg := in.config()
	cfg.Database = in.db + "_nosuch"
	_, err := mustNew(t, cfg).Installed(context.Background())
	wantErr(t, err, `_nosuch does not exist`, `erp\.tryton\.database`, `\[database\] uri`)
	if strings.Contains(err.Error(), in.password) {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	in := sqliteInstance(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := mustNew(t, in.config()).Installed(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Installed on a cancelled context: %v, want context.Canceled", err)
	}
}
