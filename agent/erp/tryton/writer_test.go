package tryton

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestWriterConformanceSQLite(t *testing.T) {
	t.Parallel()
	start := time.Now()
	erptest.RunWriter(t, func(t *testing.T) erptest.WriterFixture {
		return newWriterInstance(t, backendSQLite).fixture()
	})
	t.Logf("writer conformance on SQLite: %s (template made in %s)", time.Since(start).Round(time.Millisecond), template(t, backendSQLite).took.Round(time.Millisecond))
}

func TestWriterConformancePostgreSQL(t *testing.T) {
	t.Parallel()
	start := time.Now()
	erptest.RunWriter(t, func(t *testing.T) erptest.WriterFixture {
		return newWriterInstance(t, backendPostgres).fixture()
	})
	t.Logf("writer conformance on PostgreSQL: %s (template made in %s)", time.Since(start).Round(time.Millisecond), template(t, backendPostgres).took.Round(time.Millisecond))
}

// TestAdminArgumentOrder asks trytond's own parser what the command lines
// mean: -u replaces the module list and --all appends ir, so --all must
// come after -u.
func TestAdminArgumentOrder(t *testing.T) {
	t.Parallel()
	needTryton(t)
	for _, c := range []struct {
		mods []string
		all  bool
		want string
	}{
		{[]string{"party", "country"}, true, "['party', 'country', 'ir']"},
		{[]string{"party"}, false, "['party']"},
		{nil, true, "['ir']"},
	} {
		args := adminArgs("/x/trytond.conf", "erp", c.mods, c.all)
		py := "import sys; from trytond.commandline import get_parser_admin; o = get_parser_admin().parse_args(sys.argv[1:]); print(o.update, o.database_names, o.configfile)"
		out, err := exec.Command(DefaultPython, append([]string{"-c", py}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("parse %q: %v: %s", args, err, out)
		}
		if want := c.want + " ['erp'] ['/x/trytond.conf']"; strings.TrimSpace(string(out)) != want {
			t.Errorf("trytond-admin %s parses as %s, want %s", strings.Join(args, " "), out, want)
		}
	}
	// The other order loses --all: the reason adminArgs puts it last.
	out, _ := exec.Command(DefaultPython, "-c", "from trytond.commandline import get_parser_admin; print(get_parser_admin().parse_args(['--all', '-u', 'party']).update)").Output()
	if strings.TrimSpace(string(out)) != "['party']" {
		t.Errorf("--all -u party parses as %s; the notes say -u replaces the list", out)
	}
}

// TestUpdateFailureIsClear: trytond-admin failing on a module that does
// not exist gives an error with its last output and the remedy; a name
// that is not a module name never reaches trytond-admin.
func TestUpdateFailureIsClear(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendSQLite)
	before := wi.checksum(t)
	var log bytes.Buffer
	err := wi.w.Update(ctxT(t), erp.UpdateRequest{Modules: []string{"upkeep_no_such_module"}}, &log)
	if err == nil {
		t.Fatal("Update of a module that does not exist succeeded")
	}
	for _, want := range []string{"trytond-admin", "exit status 1", "File not found", "upkeep_no_such_module", "restore the backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !strings.Contains(log.String(), "Traceback") {
		t.Errorf("the log lacks trytond-admin's traceback:\n%s", log.String())
	}
	if wi.checksum(t) != before {
		t.Error("the failed update changed the database")
	}
	for _, bad := range []string{"--all", "../party", "Party", ""} {
		if err := wi.w.Update(ctxT(t), erp.UpdateRequest{Modules: []string{bad}}, &log); err == nil || !strings.Contains(err.Error(), "not a Tryton module name") {
			t.Errorf("Update of module %q: %v; want it refused by name", bad, err)
		}
	}
	if err := wi.w.Update(ctxT(t), erp.UpdateRequest{}, &log); err == nil {
		t.Error("an empty update request succeeded")
	}
}

// TestUpdateCancelKillsAdmin: a cancelled context stops trytond-admin and
// its process group at once.
func TestUpdateCancelKillsAdmin(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendSQLite)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := wi.w.Update(ctx, erp.UpdateRequest{All: true}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Update with a 300 ms deadline: %v; want it killed", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the killed update returned after %s", took)
	}
}

// TestDisableKeepsData measures what deactivating a module does in Tryton
// 6.0: its table, columns and rows stay; the records of its XML (menu,
// action) go; activating it again brings it back with the rows.
func TestDisableKeepsData(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendSQLite)
	w := wi.w
	if err := w.ExecSQL(ctxT(t), "INSERT INTO upkeep_probe (name) VALUES ('kept 1'), ('kept 2')"); err != nil {
		t.Fatal(err)
	}
	menus := "SELECT count(*) FROM ir_ui_menu WHERE id IN (SELECT db_id FROM ir_model_data WHERE module = 'upkeep_probe' AND model = 'ir.ui.menu')"
	if v := queryValue(t, w, menus); v != "1" {
		t.Fatalf("upkeep_probe has %s menus, want the one its XML makes", v)
	}
	var log bytes.Buffer
	if err := w.Update(ctxT(t), erp.UpdateRequest{Disable: []string{probeModule}}, &log); err != nil {
		t.Fatalf("disable: %v\n%s", err, log.String())
	}
	if v := queryValue(t, w, "SELECT state FROM ir_module WHERE name = 'upkeep_probe'"); v != "not activated" {
		t.Errorf("upkeep_probe is %q after the disable", v)
	}
	if v := queryValue(t, w, "SELECT count(*) FROM upkeep_probe"); v != "2" {
		t.Errorf("the module's table holds %s rows after the disable, want 2: data lost", v)
	}
	if v := queryValue(t, w, menus); v != "0" {
		t.Errorf("the disabled module's menu remains (%s)", v)
	}
	if err := w.Update(ctxT(t), erp.UpdateRequest{Disable: []string{probeModule}}, &log); err != nil {
		t.Errorf("disabling it again: %v", err)
	}
	if v := queryValue(t, w, "SELECT state FROM ir_module WHERE name = 'upkeep_probe'"); v != "not activated" {
		t.Errorf("disabling twice left it %q: a second -u would activate it", v)
	}
	if err := w.Update(ctxT(t), erp.UpdateRequest{Install: []string{probeModule}}, &log); err != nil {
		t.Fatalf("activate again: %v\n%s", err, log.String())
	}
	if v := queryValue(t, w, "SELECT count(*) FROM upkeep_probe WHERE name LIKE 'kept%'"); v != "2" {
		t.Errorf("after activating it again the table holds %s of the rows", v)
	}
	if v := queryValue(t, w, menus); v != "1" {
		t.Errorf("after activating it again the module has %s menus, want its one back", v)
	}
}

// TestDisableRefusesNeededModule: country is needed by party, which stays.
func TestDisableRefusesNeededModule(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendSQLite)
	before := wi.checksum(t)
	err := wi.w.Update(ctxT(t), erp.UpdateRequest{Disable: []string{"country"}}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "party needs country") {
		t.Fatalf("disabling country: %v; want a refusal naming party", err)
	}
	if wi.checksum(t) != before {
		t.Error("the refused disable changed the database")
	}
	if err := wi.w.Update(ctxT(t), erp.UpdateRequest{Disable: []string{"upkeep_nosuch"}}, &bytes.Buffer{}); err == nil {
		t.Error("disabling an unknown module succeeded")
	}
}

func queryValue(t *testing.T, w *Writer, q string) string {
	t.Helper()
	v, err := w.QueryValue(ctxT(t), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// TestOverlayEntriesSurvive: after an update through the overlay (a swap of
// the module's folder) and EnsureOverlay, every system module still has
// its entry, and the delivered folder is left as it is.
func TestOverlayEntriesSurvive(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendSQLite)
	before := entries(t, wi.overlay)
	_, dir, _ := probeVersion(t, probeV2, probeNoteField)
	prev, err := LinkModule(wi.overlay, probeModule, dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(prev); err != nil || !st.IsDir() {
		t.Errorf("the previous entry should be kept in staging as the folder it was: %v", err)
	}
	if err := wi.w.Update(ctxT(t), erp.UpdateRequest{Modules: []string{probeModule}}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	added, err := EnsureOverlay(wi.overlay, sysTrytond)
	if err != nil || len(added) != 0 {
		t.Errorf("EnsureOverlay after the update added %v (%v), want nothing", added, err)
	}
	after := entries(t, wi.overlay)
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("the overlay entry %s is gone", name)
		}
	}
	if target, _ := os.Readlink(filepath.Join(overlayModules(wi.overlay), probeModule)); target != dir {
		t.Errorf("the probe's entry points at %q, want the delivered %s", target, dir)
	}
}

// entries maps the overlay's module entries to what they are.
func entries(t *testing.T, root string) map[string]string {
	t.Helper()
	list, err := os.ReadDir(overlayModules(root))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range list {
		out[e.Name()] = e.Type().String()
	}
	return out
}

// TestEnsureOverlay: a second run adds nothing, keeps what Upkeep put there
// (a delivered folder, a link to a release, a link whose target is gone),
// and refuses an overlay whose trytond folder is a symlink.
func TestEnsureOverlay(t *testing.T) {
	t.Parallel()
	needTryton(t)
	root := filepath.Join(t.TempDir(), "overlay")
	added, err := EnsureOverlay(root, "")
	if err != nil {
		t.Fatal(err)
	}
	mods := overlayModules(root)
	for _, want := range []string{filepath.Join(mods, "party"), filepath.Join(mods, "__init__.py"), filepath.Join(root, "trytond", "__init__.py")} {
		if !slices.Contains(added, want) {
			t.Errorf("EnsureOverlay did not link %s", want)
		}
	}
	if slices.ContainsFunc(added, func(p string) bool {
		return strings.Contains(p, "__pycache__") || strings.HasSuffix(p, "trytond/modules")
	}) {
		t.Errorf("EnsureOverlay linked __pycache__ or modules/: %v", added)
	}
	if _, err := writeProbe(mods, probeV1, ""); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(mods, "country"))
	if err := os.Symlink(filepath.Join(t.TempDir(), "gone"), filepath.Join(mods, "country")); err != nil {
		t.Fatal(err)
	}
	before := entries(t, root)
	again, err := EnsureOverlay(root, "")
	if err != nil || len(again) != 0 {
		t.Errorf("the second EnsureOverlay added %v (%v), want nothing", again, err)
	}
	if after := entries(t, root); len(after) != len(before) {
		t.Errorf("entries changed: %v, were %v", after, before)
	}
	if target, _ := os.Readlink(filepath.Join(mods, "country")); !strings.HasSuffix(target, "gone") {
		t.Errorf("EnsureOverlay replaced an entry: country → %s", target)
	}
	if st, err := os.Stat(stagingOf(root)); err != nil || !st.IsDir() {
		t.Errorf("no staging folder beside the overlay: %v", err)
	}
	linked := filepath.Join(t.TempDir(), "linked")
	if err := os.MkdirAll(linked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(sysTrytond, filepath.Join(linked, "trytond")); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureOverlay(linked, ""); err == nil || !strings.Contains(err.Error(), "not a real folder") {
		t.Errorf("EnsureOverlay over a linked trytond: %v; want a refusal", err)
	}
	if _, err := EnsureOverlay("relative/overlay", ""); err == nil {
		t.Error("a relative overlay was accepted")
	}
	if _, err := EnsureOverlay(filepath.Join(sysTrytond, "x"), ""); err == nil {
		t.Error("an overlay inside the system trytond was accepted")
	}
}

// TestScriptsImportTryton runs a .py script the way the runner does, with
// Scripts(): it opens the database through Tryton's pool.
func TestScriptsImportTryton(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendSQLite)
	se := wi.w.Scripts()
	script := `import os
from trytond.pool import Pool
from trytond.transaction import Transaction
db = os.environ['TRYTON_DATABASE']
with Transaction().start(db, 0, readonly=True):
    pool = Pool(db)
    pool.init()
    Probe = pool.get('upkeep.probe')
    import trytond.modules.upkeep_probe as m
    print(Probe.__name__, os.path.dirname(m.__file__))
`
	file := filepath.Join(t.TempDir(), "m.py")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctxT(t), se.Python, file)
	cmd.Env = append(os.Environ(), se.Env...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the script failed: %v\n%s", err, out)
	}
	want := "upkeep.probe " + filepath.Join(overlayModules(wi.overlay), probeModule)
	if got := strings.TrimSpace(lastLines(string(out), 1)); got != want {
		t.Errorf("the script printed %q, want %q", got, want)
	}
}

// TestNeutralize: no scheduled job stays active; the settings drift report
// sees exactly the change made.
func TestNeutralizeAndSettings(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{backendSQLite, backendPostgres} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			w := newWriterInstance(t, backend).w
			if v := queryValue(t, w, "SELECT count(*) FROM ir_cron WHERE active = true"); v == "0" {
				t.Fatal("the instance has no active scheduled job to neutralize")
			}
			if err := w.Neutralize(ctxT(t)); err != nil {
				t.Fatal(err)
			}
			if v := queryValue(t, w, "SELECT count(*) FROM ir_cron WHERE active = true"); v != "0" {
				t.Errorf("%s scheduled jobs still active after Neutralize", v)
			}
			before := settings(t, w)
			if before["ir_ui_menu["+probeMenuRef+"].sequence"] != "99" || before["ir_ui_menu["+probeMenuRef+"].parent"] != "" {
				t.Errorf("the probe's menu is not in the snapshot as its XML says: %v", pick(before, probeMenuRef))
			}
			if !slices.ContainsFunc(keys(before), func(k string) bool { return strings.HasPrefix(k, "ir_configuration[1].") }) {
				t.Error("ir_configuration is not in the snapshot")
			}
			if err := w.ExecSQL(ctxT(t), "UPDATE ir_ui_menu SET sequence = 5 WHERE name = 'Probes'"); err != nil {
				t.Fatal(err)
			}
			after := settings(t, w)
			var diff []string
			for k, v := range after {
				if before[k] != v {
					diff = append(diff, k+"="+v)
				}
			}
			if len(diff) != 1 || diff[0] != "ir_ui_menu["+probeMenuRef+"].sequence=5" {
				t.Errorf("the snapshot changed in %v, want only the probe menu's sequence", diff)
			}
		})
	}
}

func settings(t *testing.T, w *Writer) map[string]string {
	t.Helper()
	s, err := w.Settings(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func pick(m map[string]string, sub string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if strings.Contains(k, sub) {
			out[k] = v
		}
	}
	return out
}

// TestHealthChecks: a wrong password is refused with what to fix; a server
// that is not running fails fast.
func TestHealthChecks(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendSQLite)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wi.w.Health(ctx); err == nil || !regexp.MustCompile(`common\.server\.version .*connection refused.*is the server running`).MatchString(err.Error()) {
		t.Errorf("Health of a stopped server: %v", err)
	}
	if err := wi.w.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, wi.w)
	bad := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(bad, []byte("wrong-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := wi.cfg
	cfg.PasswordFile = bad
	w, err := NewWriter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Health(ctxT(t)); err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "password_file") {
		t.Errorf("Health with a wrong password: %v; want HTTP 401 and what to check", err)
	}
}

func waitHealthy(t *testing.T, w *Writer) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := w.Health(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
