package demoerp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// TestMain removes the binary built for this test run.
func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// demoBin builds cmd/demo-erp once per test binary, from the module root.
func demoBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the demo-erp binary")
	}
	build.once.Do(func() {
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		root := filepath.Dir(strings.TrimSpace(string(gomod)))
		if err != nil || root == "." {
			build.err = fmt.Errorf("go env GOMOD: %q, %v", gomod, err)
			return
		}
		if build.dir, build.err = os.MkdirTemp("", "demo-erp-test-"); build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "demo-erp")
		cmd := exec.Command("go", "build", "-o", build.bin, "./cmd/demo-erp")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/demo-erp: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// run runs demo-erp to completion and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, demoBin(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("demo-erp %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, args...)
	if code != 0 {
		t.Fatalf("demo-erp %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func archive(t *testing.T, name, version string) []byte {
	t.Helper()
	data, err := sample.ArchiveOf(name, version)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// place puts module name at version from the sample into the instance's
// addons, replacing the folder there: what an admin (or the agent) does to
// deliver new code.
func place(t *testing.T, dir, name, version string) {
	t.Helper()
	if err := os.RemoveAll(demoerp.ModuleDir(dir, name)); err != nil {
		t.Fatal(err)
	}
	if _, err := demoerp.AddModule(dir, archive(t, name, version)); err != nil {
		t.Fatal(err)
	}
}

// story places the demo story's installed set and runs demo-erp init.
func story(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, m := range []string{"core@2.50.20", "arp@1.3.0", "localization-es@1.2.0", "reports@0.9.0"} {
		name, version, _ := strings.Cut(m, "@")
		place(t, dir, name, version)
	}
	mustRun(t, "init", "--dir", dir, "--demo-data", "7")
	return dir
}

// query runs a one-value query on the instance's database.
func query(t *testing.T, dir, q string, args ...any) string {
	t.Helper()
	db, err := sqlx.Open("sqlite3", demoerp.DSN(demoerp.DBPath(dir), "mode=ro"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.Get(&v, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

func moduleRow(t *testing.T, dir, name string) string {
	t.Helper()
	return query(t, dir, `SELECT state || ' ' || coalesce(latest_version, '-') FROM ir_module_module WHERE name = ?`, name)
}

// server is a running demo-erp serve.
type server struct {
	cmd     *exec.Cmd
	base    string
	pidfile string
	done    chan error
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// serve starts demo-erp serve on a free port and waits until it listens.
func serve(t *testing.T, dir string) *server {
	t.Helper()
	s := &server{pidfile: filepath.Join(t.TempDir(), "demo-erp.pid"), done: make(chan error, 1)}
	s.cmd = exec.Command(demoBin(t), "serve", "--dir", dir, "--addr", "127.0.0.1:0", "--pidfile", s.pidfile)
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	s.cmd.Stderr = &errOut
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); <-s.done })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
		s.done <- s.cmd.Wait()
	}()
	select {
	case s.base = <-found:
	case <-time.After(15 * time.Second):
		t.Fatalf("demo-erp serve did not start: %s", errOut.String())
	}
	return s
}

// health returns the status code and body of GET /health.
func (s *server) health(t *testing.T) (int, demoerp.Health) {
	t.Helper()
	resp, err := http.Get(s.base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h demoerp.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

func TestServeDetectsUnmigratedCodeUntilUpdate(t *testing.T) {
	t.Parallel()
	dir := story(t)
	s := serve(t, dir)
	if code, h := s.health(t); code != 200 || h.Status != "ok" || h.Modules != 4 || h.Version != "2.50.20" {
		t.Fatalf("GET /health = %d %+v, want 200 ok with 4 modules at core 2.50.20", code, h)
	}
	pid, err := os.ReadFile(s.pidfile)
	if err != nil || strings.TrimSpace(string(pid)) != fmt.Sprint(s.cmd.Process.Pid) {
		t.Errorf("pidfile = %q, %v; want %d", pid, err, s.cmd.Process.Pid)
	}

	place(t, dir, "core", "2.50.22")
	code, h := s.health(t)
	if code != 503 || h.Module != "core" || h.CodeVersion != "2.50.22" || h.DBVersion != "2.50.20" || !strings.Contains(h.Error, "update") {
		t.Fatalf("GET /health after new core code = %d %+v, want 503 naming core 2.50.22 vs 2.50.20", code, h)
	}

	out := mustRun(t, "update", "--dir", dir, "--update=all")
	if !strings.Contains(out, "core: migrated 2.50.20 -> 2.50.22") {
		t.Errorf("update output:\n%s", out)
	}
	if got := moduleRow(t, dir, "core"); got != "installed 2.50.22" {
		t.Errorf("core row = %q, want installed 2.50.22", got)
	}
	if code, h := s.health(t); code != 200 || h.Version != "2.50.22" {
		t.Fatalf("GET /health after the update = %d %+v, want 200 at 2.50.22", code, h)
	}
	if n := query(t, dir, `SELECT count(*) FROM res_partner`); n != "7" {
		t.Errorf("partners after the update = %s, want the 7 demo partners", n)
	}
	stop(t, s)
}

// stop sends SIGTERM and expects a clean exit with the pidfile removed.
func stop(t *testing.T, s *server) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("demo-erp serve after SIGTERM: %v, want exit 0", err)
		}
		s.done <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("demo-erp serve did not stop on SIGTERM")
	}
	if _, err := os.Stat(s.pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile still there after shutdown: %v", err)
	}
}

func TestFailingModuleLeavesDatabaseHalfMigrated(t *testing.T) {
	t.Parallel()
	dir := story(t)
	place(t, dir, "core", "2.50.22")
	bad := filepath.Join(demoerp.ModuleDir(dir, "reports"), demoerp.SchemaFile)
	if err := os.WriteFile(bad, []byte("CREATE TABLE reports_broken (id INTEGER PRIMARY KEY,);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "update", "--dir", dir, "-u", "all")
	if code != 1 {
		t.Fatalf("update with a failing schema.sql: exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"update module reports", bad, "half-migrated", "core, arp, localization-es"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	want := map[string]string{"core": "installed 2.50.22", "arp": "installed 1.3.0",
		"localization-es": "installed 1.2.0", "reports": "to upgrade 0.9.0"}
	for m, w := range want {
		if got := moduleRow(t, dir, m); got != w {
			t.Errorf("%s row = %q, want %q", m, got, w)
		}
	}
	if h := demoerp.Check(t.Context(), dir); h.Status != demoerp.HealthNeedsUpdate || h.Module != "reports" {
		t.Errorf("health = %+v, want reports named", h)
	}
}

func TestDisableIsRefusedWhileADependentIsInstalled(t *testing.T) {
	t.Parallel()
	dir := story(t)
	writeModule(t, dir, "arp-dunning", "arp>=1.3.0")
	mustRun(t, "update", "--dir", dir, "--install=arp-dunning")

	code, _, errOut := run(t, "update", "--dir", dir, "--disable=arp")
	if code != 1 || !strings.Contains(errOut, "cannot disable arp: installed modules depend on it: arp-dunning") {
		t.Fatalf("disable arp under arp-dunning: exit %d\n%s", code, errOut)
	}
	if got := moduleRow(t, dir, "arp"); got != "installed 1.3.0" {
		t.Errorf("arp row after the refusal = %q", got)
	}

	mustRun(t, "update", "--dir", dir, "--disable=arp,arp-dunning")
	if got := moduleRow(t, dir, "arp"); got != "disabled 1.3.0" {
		t.Errorf("arp row = %q, want disabled (version kept)", got)
	}
	if got := query(t, dir, `SELECT count(*) FROM arp_settings`); got != "1" {
		t.Errorf("arp_settings rows after disable = %s, want the data kept", got)
	}
	if got := query(t, dir, `SELECT group_concat(active) FROM ir_ui_menu WHERE module = 'arp'`); got != "0,0" {
		t.Errorf("arp menus after disable: active = %s, want hidden", got)
	}
	if h := demoerp.Check(t.Context(), dir); h.Status != "ok" || h.Modules != 3 {
		t.Errorf("health after disabling = %+v, want ok with 3 modules", h)
	}

	mustRun(t, "update", "--dir", dir, "-i", "arp-dunning,arp")
	if got := moduleRow(t, dir, "arp-dunning"); got != "installed 1.0.0" {
		t.Errorf("arp-dunning row after re-install = %q", got)
	}
}

func TestBrokenModuleFoldersFailWithTheirName(t *testing.T) {
	t.Parallel()
	dir := story(t)
	folder := demoerp.ModuleDir(dir, "localization-es")
	if err := os.Rename(folder, folder+".away"); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "update", "--dir", dir, "--update=all")
	if code != 1 || !strings.Contains(errOut, "module localization-es: its folder "+folder+" is missing") {
		t.Fatalf("update with a missing folder: exit %d\n%s", code, errOut)
	}
	if err := os.Rename(folder+".away", folder); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(folder, "upkeep.toml")
	if err := os.WriteFile(manifest, []byte("name = \"localization-es\"\nversion = \"one\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, "update", "--dir", dir, "-u", "core")
	if code != 1 || !strings.Contains(errOut, "module localization-es: "+manifest) {
		t.Fatalf("update with a bad manifest: exit %d\n%s", code, errOut)
	}
	s := serve(t, dir)
	if code, h := s.health(t); code != 503 || h.Module != "localization-es" {
		t.Errorf("GET /health = %d %+v, want 503 naming localization-es", code, h)
	}
	for _, m := range []string{"core", "arp", "reports"} {
		if got := moduleRow(t, dir, m); !strings.HasPrefix(got, "installed ") {
			t.Errorf("%s row = %q after refused updates", m, got)
		}
	}
}

func TestInstallChecksDependencies(t *testing.T) {
	t.Parallel()
	dir := story(t)
	place(t, dir, "warehouse", "2.0.0")
	code, _, errOut := run(t, "update", "--dir", dir, "--install=warehouse")
	if code != 1 || !strings.Contains(errOut, "module warehouse 2.0.0 needs core>=3.0.0, but addons/core holds core 2.50.20") {
		t.Fatalf("install warehouse 2.0.0 on core 2.50: exit %d\n%s", code, errOut)
	}
	place(t, dir, "warehouse", "1.0.0")
	out := mustRun(t, "update", "--dir", dir, "--install=warehouse")
	if !strings.Contains(out, "warehouse: installed 1.0.0") {
		t.Errorf("install output:\n%s", out)
	}
	if got := query(t, dir, `SELECT count(*) FROM stock_location`); got != "2" {
		t.Errorf("stock locations = %s, want the module's 2", got)
	}
}

func TestCommandLineErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"init"}, 2, `"dir" not set`},
		{[]string{"update", "--dir", dir}, 2, "update needs --update, --install or --disable"},
		{[]string{"update", "--dir", dir, "--frobnicate"}, 2, "unknown flag"},
		{[]string{"serve", "--dir", dir, "extra"}, 2, "takes no arguments"},
		{[]string{"update", "--dir", dir, "-u", "all"}, 1, "demo-erp init --dir " + dir},
		{[]string{"serve", "--dir", dir}, 1, "demo-erp init --dir " + dir},
		{[]string{"init", "--dir", dir}, 1, "put the modules in " + filepath.Join(dir, "addons")},
	}
	for _, tc := range tests {
		code, _, errOut := run(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("demo-erp %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, errOut, tc.code, tc.want)
		}
	}
}

// writeModule writes a hand-made module folder (version 1.0.0) needing dep.
func writeModule(t *testing.T, dir, name, dep string) {
	t.Helper()
	folder := demoerp.ModuleDir(dir, name)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := fmt.Sprintf("name = %q\nversion = \"1.0.0\"\nsummary = \"dunning letters\"\ndepends = [%q]\n", name, dep)
	if err := os.WriteFile(filepath.Join(folder, "upkeep.toml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	schema := "CREATE TABLE IF NOT EXISTS dunning_letter (id INTEGER PRIMARY KEY, partner_id INTEGER REFERENCES res_partner (id));\n"
	if err := os.WriteFile(filepath.Join(folder, demoerp.SchemaFile), []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
}
