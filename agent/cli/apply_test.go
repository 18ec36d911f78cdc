package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

// demoBin is the demo-erp program, built on first use into a folder
// TestMain removes.
var demoBin struct {
	once      sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	code := reportOutputs(m.Run())
	if demoBin.dir != "" {
		os.RemoveAll(demoBin.dir)
	}
	os.Exit(code)
}

func demoERP(t *testing.T) string {
	t.Helper()
	demoBin.once.Do(func() {
		if demoBin.dir, demoBin.err = os.MkdirTemp("", "cli-demo-erp-"); demoBin.err == nil {
			demoBin.path, demoBin.err = erptest.BuildDemoERP(demoBin.dir)
		}
	})
	if demoBin.err != nil {
		t.Fatal(demoBin.err)
	}
	return demoBin.path
}

// running is the story (a demo ERP and its repository) with the ERP's
// server running under pidfile control and configured for apply.
func running(t *testing.T) (conf string) {
	t.Helper()
	return runningHeld(t, nil)
}

// runningHeld is running over storyHeld(t, hold).
func runningHeld(t *testing.T, hold chan struct{}) (conf string) {
	t.Helper()
	conf, stop := storyHeld(t, hold)
	t.Cleanup(stop)
	base := filepath.Dir(conf)
	dir := filepath.Join(base, "erp")
	addr := erptest.FreeAddr(t)
	pidfile := filepath.Join(base, "demo-erp.pid")
	start := []string{demoERP(t), "--dir", dir, "serve", "--addr", addr, "--pidfile", pidfile}
	q, _ := json.Marshal(start)
	body := strings.Replace(mustRead(t, conf), "demo.dir = \"erp\"\n", fmt.Sprintf("demo.dir = \"erp\"\ndemo.url = \"http://%s\"\ndemo.command = [%q]\n", addr, demoERP(t)), 1)
	body += fmt.Sprintf("[erp.server]\npidfile = %q\nstart = %s\nstop_timeout = \"10s\"\n[apply]\nhealth_timeout = \"20s\"\n", pidfile, q)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := proc.New(proc.Config{PIDFile: pidfile, Start: start, StopTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	w, err := demo.NewWriter(demo.Config{Dir: dir, URL: "http://" + addr, Command: []string{demoERP(t)}, Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w.Stop(c)
	})
	return conf
}

func TestApplyCommandEndToEnd(t *testing.T) {
	conf := running(t)
	code, out, errOut := run(t, "--config", conf, "apply", "--dry-run")
	if code != 0 || !strings.Contains(out, "Estimated downtime") || !strings.Contains(out, "Preflight would pass now.") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "--config", conf, "plan", "--json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	planFile := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(planFile, []byte(out), 0o644)
	if code, _, errOut := run(t, "--config", conf, "apply", planFile); code != ExitUsage || !strings.Contains(errOut, "--yes") {
		t.Errorf("apply without --yes and no terminal: exit %d %q, want %d naming --yes", code, errOut, ExitUsage)
	}
	code, out, errOut = run(t, "--config", conf, "apply", planFile, "--yes", "--json")
	var res apply.Result
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.State != store.RunSucceeded {
		t.Fatalf("apply: exit %d, %+v (%v)\n%s", code, res, err, errOut)
	}
	if !strings.Contains(errOut, "[1/") || !strings.Contains(errOut, "health checks  ok") {
		t.Errorf("progress on a non-terminal:\n%s", errOut)
	}
	_, out, _ = run(t, "--config", conf, "installed", "--json")
	if !strings.Contains(out, `"2.50.22"`) || !strings.Contains(out, `"1.4.0"`) {
		t.Errorf("installed after apply:\n%s", out)
	}
	if _, out, _ = run(t, "--config", conf, "history"); !strings.Contains(out, "succeeded") {
		t.Errorf("history:\n%s", out)
	}
	code, out, _ = run(t, "--config", conf, "history", fmt.Sprint(res.Run), "--json")
	var d runDetail
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || len(d.Steps) < 10 || d.Drift == nil {
		t.Errorf("history %d: exit %d, %v: %.300s", res.Run, code, err, out)
	}
	for args, want := range map[string]string{"apply --yes": "Nothing to apply", "apply --recover-only": "nothing was left unfinished"} {
		if code, out, errOut := run(t, append([]string{"--config", conf}, strings.Fields(args)...)...); code != 0 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d %q %q, want %q", args, code, out, errOut, want)
		}
	}
}

func TestApplyExitCodes(t *testing.T) {
	conf := running(t)
	_, out, _ := run(t, "--config", conf, "plan", "--json")
	var p map[string]any
	json.Unmarshal([]byte(out), &p)
	p["hash"] = strings.Repeat("0", 64)
	stale, _ := json.Marshal(p)
	staleFile, junk := filepath.Join(t.TempDir(), "stale.json"), filepath.Join(t.TempDir(), "junk.json")
	os.WriteFile(staleFile, stale, 0o644)
	os.WriteFile(junk, []byte("not a plan"), 0o644)
	tryton := filepath.Join(filepath.Dir(conf), "tryton.toml")
	os.WriteFile(tryton, []byte(strings.Replace(mustRead(t, conf), "kind = \"demo\"", "kind = \"tryton\"\ntryton.trytond_conf = \"t.conf\"\ntryton.database = \"db\"", 1)), 0o600)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--config", conf, "apply", staleFile, "--yes"}, ExitPlanChanged, "no longer matches"},
		{[]string{"--config", conf, "apply", junk, "--yes"}, ExitUsage, "is not a plan"},
		{[]string{"--config", tryton, "apply", "--yes"}, ExitUsage, "erp.tryton.trytond_conf"},
	}
	for _, c := range cases {
		if code, _, errOut := run(t, c.args...); code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d %q; want %d mentioning %q", c.args[2:], code, errOut, c.code, c.want)
		}
	}
	unlock, err := platform.LockFile(filepath.Join(filepath.Dir(conf), "state", apply.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if code, _, errOut := run(t, "--config", conf, "apply", "--yes"); code != ExitLocked || !strings.Contains(errOut, "another apply is running") {
		t.Errorf("while another apply holds the lock: exit %d %q, want %d", code, errOut, ExitLocked)
	}
}

// TestApplyPlanFileCarriesItsOptions applies a plan made with
// --include-upgrades and --disable-blockers without repeating them: the
// preflight's fresh plan takes the options the plan implies.
func TestApplyPlanFileCarriesItsOptions(t *testing.T) {
	conf := running(t)
	code, out, errOut := run(t, "--config", conf, "plan", "--json", "--include-upgrades", "core", "--disable-blockers")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	planFile := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(planFile, []byte(out), 0o644)
	code, out, errOut = run(t, "--config", conf, "apply", planFile, "--yes", "--json")
	var res apply.Result
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.State != store.RunSucceeded {
		t.Fatalf("apply: exit %d, %+v (%v)\n%s", code, res, err, errOut)
	}
	_, out, _ = run(t, "--config", conf, "installed")
	if !strings.Contains(out, "3.0.0") || !strings.Contains(out, "reports (disabled)") { // disabled by the plan, listed as such
		t.Errorf("installed after the upgrade:\n%s", out)
	}
}
