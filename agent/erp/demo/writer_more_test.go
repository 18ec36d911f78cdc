package demo_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/internal/testwait"
	"github.com/upkeep-erp/upkeep/platform"
)

// stoppedWriter returns a Writer on a fresh story instance whose server is
// not running (its control is a pidfile nobody wrote).
func stoppedWriter(t *testing.T, c demo.Config) *demo.Writer {
	t.Helper()
	if c.Dir == "" {
		c.Dir = instance(t)
	}
	if c.Server == nil {
		pf := filepath.Join(t.TempDir(), "none.pid")
		srv, err := proc.New(proc.Config{PIDFile: pf, Start: []string{demoERP, "--dir", c.Dir, "serve", "--pidfile", pf}})
		if err != nil {
			t.Fatal(err)
		}
		c.Server = srv
	}
	w, err := demo.NewWriter(c)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func versions(t *testing.T, w *demo.Writer) map[string]string {
	t.Helper()
	mods, err := w.Installed(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range mods {
		out[m.Name] = m.Version.String()
	}
	return out
}

func TestUpdateDisablesUpdatesAndInstallsInOneRun(t *testing.T) {
	dir := instance(t)
	if _, err := demoerp.AddModule(dir, archive(t, "warehouse", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	w := stoppedWriter(t, demo.Config{Dir: dir, Command: []string{demoERP}})
	var log bytes.Buffer
	req := erp.UpdateRequest{Disable: []string{"reports"}, Modules: []string{"arp"}, Install: []string{"warehouse"}}
	if err := w.Update(t.Context(), req, &log); err != nil {
		t.Fatalf("Update: %v\n%s", err, log.String())
	}
	got := versions(t, w)
	if _, ok := got["reports"]; ok || got["warehouse"] != "1.0.0" || got["arp"] != "1.3.0" {
		t.Errorf("installed after the update: %v", got)
	}
	for _, want := range []string{"reports: disabled", "arp: updated", "warehouse: installed 1.0.0"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
	if err := w.Update(t.Context(), erp.UpdateRequest{All: true}, &log); err != nil {
		t.Fatalf("Update all: %v", err)
	}
}

func TestUpdateRefusesUnclearRequests(t *testing.T) {
	w := stoppedWriter(t, demo.Config{Command: []string{demoERP}})
	for name, req := range map[string]erp.UpdateRequest{
		"empty":         {},
		"all and names": {All: true, Modules: []string{"arp"}},
	} {
		if err := w.Update(t.Context(), req, nil); err == nil || !strings.Contains(err.Error(), "demo ERP update") {
			t.Errorf("%s: Update = %v, want a refusal", name, err)
		}
	}
	err := w.Update(t.Context(), erp.UpdateRequest{Modules: []string{"warehouse"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "warehouse is not installed") {
		t.Errorf("Update of a module that is not installed = %v, want demo-erp's reason", err)
	}
}

func TestUpdateTimeoutKillsTheProgram(t *testing.T) {
	child := filepath.Join(t.TempDir(), "child.pid")
	// an update that hangs, with a child of its own
	hang := []string{"sh", "-c", `sleep 60 & echo $! > "$0"; echo migrating; wait`, child}
	w := stoppedWriter(t, demo.Config{Command: hang})
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := w.Update(ctx, erp.UpdateRequest{All: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "killed") || !strings.Contains(err.Error(), "migrating") {
		t.Fatalf("Update past its deadline = %v, want it killed with its output", err)
	}
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("Update returned %s after its deadline", took)
	}
	data, _ := os.ReadFile(child)
	pid, perr := proc.ParsePID(data)
	if perr != nil {
		t.Fatal(perr)
	}
	if !testwait.Until(5*time.Second, func() bool { return !platform.ProcessAlive(pid) }) {
		t.Fatalf("the update's child %d survived", pid)
	}
}

func TestProgramIsFoundOnPATH(t *testing.T) {
	bin := t.TempDir()
	if err := os.Symlink(demoERP, filepath.Join(bin, "demo-erp")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	w := stoppedWriter(t, demo.Config{})
	if err := w.Update(t.Context(), erp.UpdateRequest{Modules: []string{"core"}}, nil); err != nil {
		t.Fatalf("Update with demo-erp on PATH: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	err := w.Update(t.Context(), erp.UpdateRequest{Modules: []string{"core"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "erp.demo.command") {
		t.Errorf("Update without demo-erp = %v, want the remedy", err)
	}
}

func TestHealthSaysWhatIsWrong(t *testing.T) {
	w, dir := started(t)
	if err := os.RemoveAll(demoerp.ModuleDir(dir, "arp")); err != nil {
		t.Fatal(err)
	}
	if _, err := demoerp.AddModule(dir, archive(t, "arp", "1.4.0")); err != nil {
		t.Fatal(err)
	}
	err := w.Health(t.Context())
	if err == nil || !strings.Contains(err.Error(), "needs update") || !strings.Contains(err.Error(), "arp") {
		t.Errorf("Health with arp's code ahead of its database = %v", err)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("welcome")) }))
	defer other.Close()
	err = stoppedWriter(t, demo.Config{URL: other.URL}).Health(t.Context())
	if err == nil || !strings.Contains(err.Error(), "not the demo ERP's") {
		t.Errorf("Health against another server = %v", err)
	}
	err = stoppedWriter(t, demo.Config{URL: "http://" + erptest.FreeAddr(t)}).Health(t.Context())
	if err == nil || !strings.Contains(err.Error(), "is the server running") {
		t.Errorf("Health with nothing listening = %v", err)
	}
}

func TestSettingsSnapshotsMenusAndConfiguration(t *testing.T) {
	w := stoppedWriter(t, demo.Config{})
	s, err := w.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"ir_ui_menu/1":         "name=Home",
		"ir_ui_menu/100":       "module=arp",
		"settings/currency":    "value=EUR",
		"arp_settings/1":       "dunning=0",
		"ir_ui_menu/200":       "active=1",
		"settings/fiscal_lock": "value=off",
	} {
		if !strings.Contains(s[key], want) {
			t.Errorf("Settings[%q] = %q, want it to hold %q", key, s[key], want)
		}
	}
	if err := w.ExecSQL(t.Context(), "UPDATE ir_ui_menu SET name = 'Start' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	after, err := w.Settings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if after["ir_ui_menu/1"] == s["ir_ui_menu/1"] || !strings.Contains(after["ir_ui_menu/1"], "name=Start") {
		t.Errorf("a renamed menu reads %q", after["ir_ui_menu/1"])
	}
}

func TestNeutralize(t *testing.T) {
	w := stoppedWriter(t, demo.Config{})
	if err := w.Neutralize(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SELECT count(*) FROM ir_cron WHERE active = 1", "SELECT count(*) FROM ir_mail_server WHERE active = 1"} {
		if v, err := w.QueryValue(t.Context(), q); err != nil || v != "0" {
			t.Errorf("%s = %q, %v after Neutralize", q, v, err)
		}
	}
	if v, _ := w.QueryValue(t.Context(), "SELECT count(*) FROM ir_cron"); v == "0" {
		t.Error("the demo instance has no scheduled job: the test proves nothing")
	}
}

func TestQueryValueRendersValues(t *testing.T) {
	w := stoppedWriter(t, demo.Config{})
	for q, want := range map[string]string{
		"SELECT NULL":      "",
		"SELECT 2.5":       "2.5",
		"SELECT 'text'":    "text",
		"SELECT x'414243'": "ABC",
		"SELECT value FROM settings WHERE key = 'currency'": "EUR",
	} {
		if v, err := w.QueryValue(t.Context(), q); err != nil || v != want {
			t.Errorf("QueryValue(%q) = %q, %v; want %q", q, v, err, want)
		}
	}
	if _, err := w.QueryValue(t.Context(), "SELECT 1 WHERE 0"); err == nil || !strings.Contains(err.Error(), "no row") {
		t.Errorf("QueryValue of no row = %v", err)
	}
	if _, err := w.QueryValue(t.Context(), "DELETE FROM settings"); err == nil {
		t.Error("QueryValue ran a DELETE: it must open the database read-only")
	}
}

func TestWriterPathsAndScripts(t *testing.T) {
	w := stoppedWriter(t, demo.Config{})
	if _, err := w.ModuleDir("../etc"); err == nil {
		t.Error("ModuleDir accepted ../etc")
	}
	dir, err := w.ModuleDir("arp")
	if err != nil || dir != filepath.Join(w.Dir(), "addons", "arp") {
		t.Errorf("ModuleDir(arp) = %s, %v", dir, err)
	}
	env := strings.Join(w.Scripts().Env, "\n")
	if !strings.Contains(env, "UPKEEP_DATABASE="+demoerp.DBPath(w.Dir())) || w.Scripts().Python == "" {
		t.Errorf("Scripts = %+v", w.Scripts())
	}
	if can, _ := w.CanDisable(); !can {
		t.Error("the demo ERP can disable modules")
	}
	if _, err := demo.NewWriter(demo.Config{Dir: w.Dir()}); err == nil || !strings.Contains(err.Error(), "erp.server") {
		t.Errorf("NewWriter without a server = %v", err)
	}
}
