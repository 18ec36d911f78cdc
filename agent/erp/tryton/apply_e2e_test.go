package tryton

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// rehearse runs upkeep rehearse: the plan passes on a throwaway copy
// (Writer.Clone) and production is exactly as before, its server healthy.
func (ai *applyInstance) rehearse(t *testing.T) {
	t.Helper()
	before := ai.snapshot(t)
	code, out, errOut := ai.upkeep(t, "rehearse", "--json")
	var res apply.RehearsalResult
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || !res.Passed || res.On != apply.OnCopy {
		t.Fatalf("rehearse: exit %d, %v, %+v\n%s", code, err, res, errOut)
	}
	waitHealthy(t, ai.w)
	if after := ai.snapshot(t); after != before {
		t.Errorf("the rehearsal changed production: database %v, files %v", after.db != before.db, after.files != before.files)
	}
	t.Logf("rehearsal on a copy: %d steps, the copy's downtime %s", len(res.Steps), res.Downtime.Round(time.Millisecond))
}

// untouched reads tables that the update of upkeep_probe does not touch
// (ir_lang is not one: every update writes the English row).
var untouched = []string{"SELECT * FROM res_user", "SELECT * FROM ir_module"}

// TestApplyTrytonEndToEnd rehearses upkeep_probe 6.0.1 on a copy, then
// applies it with upkeep apply --yes, on SQLite and on PostgreSQL: the
// column exists, the scripts ran, the seeded data and untouched tables are
// intact, the server serves the new code and is healthy, and nothing of
// the run is left behind.
func TestApplyTrytonEndToEnd(t *testing.T) {
	t.Parallel()
	needTryton(t)
	cr := serveProbe(t, goodVariant())
	for _, backend := range []string{backendSQLite, backendPostgres} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ai := newApplyInstance(t, backend, cr, agentOptions{})
			data, langs := ai.probeData(t), ai.tableSum(t, untouched...)
			code, out, errOut := ai.upkeep(t, "apply", "--dry-run")
			if code != 0 || !strings.Contains(out, "Preflight would pass now.") || !strings.Contains(out, "update "+probeModule) {
				t.Fatalf("apply --dry-run: exit %d\n%s%s", code, out, errOut)
			}
			ai.rehearse(t)
			start := time.Now()
			code, out, errOut = ai.upkeep(t, "apply", "--yes", "--json")
			res := result(t, out, errOut)
			if code != 0 || res.State != store.RunSucceeded {
				t.Fatalf("apply: exit %d, state %s, error %s\n%s", code, res.State, res.Error, errOut)
			}
			t.Logf("apply on %s: %s, downtime %s", backend, time.Since(start).Round(time.Millisecond), res.Downtime.Round(time.Millisecond))
			if _, err := ai.w.QueryValue(ctxT(t), probeNewCol); err != nil {
				t.Errorf("the new column: %v", err)
			}
			ai.checkNew(t, data)
			if got := ai.tableSum(t, untouched...); got != langs {
				t.Errorf("res_user or ir_module, which the update does not touch, changed")
			}
			for _, want := range []string{"backup the database  ok", "pre " + probeModule, "post " + probeModule, "filled 40 probes: upkeep_probe 6.0.0 -> 6.0.1", "health checks  ok"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("the progress lacks %q:\n%s", want, errOut)
				}
			}
			ai.checkClean(t)
			if code, out, _ := ai.upkeep(t, "apply", "--yes"); code != 0 || !strings.Contains(out, "up to date") {
				t.Errorf("a second apply: exit %d %q, want up to date", code, out)
			}
		})
	}
}

// noNoteField is a configured health check that passes before the update
// of upkeep_probe and fails after it: it expects no field "note".
const noNoteField = `
[[erp.health]]
name = "no note field"
sql = "SELECT count(*) FROM ir_model_field WHERE module = 'upkeep_probe' AND name = 'note'"
expect = "0"
`

// TestApplyTrytonFailuresRestore injects a real failure at each kind of
// step after the stop (a pre script exits 1, the update raises in
// __register__ after adding its column, a post script hangs past its
// timeout, a configured health check fails) and runs upkeep apply: the
// run ends failed-restored naming the step, the database is
// checksum-identical to before, the old module folder is in place and the
// server is healthy. Every case runs on SQLite; the update and health
// cases also on PostgreSQL.
func TestApplyTrytonFailuresRestore(t *testing.T) {
	t.Parallel()
	needTryton(t)
	cases := []struct {
		name       string
		v          variant
		o          agentOptions
		step, want string // the failed step's start, a part of the error
		postgres   bool
	}{
		{"pre script exits 1", variant{extra: probeNoteField, scripts: []sample.Script{preAudit, preFails, postFill}}, agentOptions{},
			"pre upkeep_probe 6.0.1: " + preFails.Path, "exit status 1", false},
		{"update raises", variant{extra: probeNoteField + probeRaises, scripts: []sample.Script{preAudit, postFill}}, agentOptions{},
			"update upkeep_probe", "RuntimeError", true},
		{"post script hangs", variant{extra: probeNoteField, scripts: []sample.Script{preAudit, postHangs}}, agentOptions{scriptTimeout: "3s"},
			"post upkeep_probe 6.0.1: " + postHangs.Path, "ran longer than 3s (apply.script_timeout)", false},
		{"health check fails", goodVariant(), agentOptions{health: noNoteField, healthTimeout: "15s"},
			"health checks", `health check no note field: the query returned "1", "0" is expected`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cr := serveProbe(t, c.v)
			backends := []string{backendSQLite}
			if c.postgres {
				backends = append(backends, backendPostgres)
			}
			for _, backend := range backends {
				t.Run(backend, func(t *testing.T) {
					t.Parallel()
					ai := newApplyInstance(t, backend, cr, c.o)
					before, data := ai.snapshot(t), ai.probeData(t)
					code, out, errOut := ai.upkeep(t, "apply", "--yes", "--json")
					res := result(t, out, errOut)
					if code != 1 || res.State != store.RunFailedRestored || !strings.HasPrefix(res.FailedStep, c.step) || !strings.Contains(res.Error, c.want) {
						t.Fatalf("apply: exit %d, state %s, failed step %q, error %q; want exit 1, %s, step %q, error with %q\n%s",
							code, res.State, res.FailedStep, res.Error, store.RunFailedRestored, c.step, c.want, errOut)
					}
					ai.checkOld(t, before)
					ai.checkInstalled(t, probeV1)
					if got := ai.probeData(t); got != data {
						t.Errorf("the seeded records are %s after the restore, %s before", got, data)
					}
					ai.checkClean(t)
				})
			}
		})
	}
}

// TestSetupBuildsTheOverlay runs upkeep setup: on the instance's built
// overlay it adds nothing and reads the installed modules through it; on a
// new folder it builds the overlay, says that the server's start lacks it
// and, since the delivered module upkeep_probe is not in it, fails with
// exit 4 naming the module.
func TestSetupBuildsTheOverlay(t *testing.T) {
	t.Parallel()
	wi := newWriterInstance(t, backendSQLite)
	ai := &applyInstance{writerInstance: wi, state: filepath.Join(wi.dir, "state"), pidfile: filepath.Join(wi.dir, "trytond.pid")}
	ai.conf = ai.writeConfig(t, centralRepo{url: "http://127.0.0.1:9", root: []byte("{}")}, agentOptions{})
	var res struct {
		Overlay string   `json:"modules_overlay"`
		Added   int      `json:"links_added"`
		Start   []string `json:"server_start"`
		Todo    []string `json:"todo"`
		Checked string   `json:"checked"`
	}
	code, out, errOut := ai.upkeep(t, "setup", "--json")
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.Added != 0 || len(res.Todo) != 0 || !strings.Contains(res.Checked, "installed modules read through the overlay") {
		t.Fatalf("setup on the built overlay: exit %d, %v, %+v\n%s", code, err, res, errOut)
	}
	fresh := filepath.Join(t.TempDir(), "overlay")
	body := strings.Replace(mustReadFile(t, ai.conf), fmt.Sprintf("modules_overlay = %q", wi.overlay), fmt.Sprintf("modules_overlay = %q", fresh), 1)
	if err := os.WriteFile(ai.conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = ai.upkeep(t, "setup", "--json")
	res.Todo = nil
	if err := json.Unmarshal([]byte(out), &res); code != 4 || err != nil || res.Added == 0 || !strings.Contains(errOut, probeModule) {
		t.Fatalf("setup on a new folder: exit %d, %v, %+v\n%s; want exit 4 naming %s", code, err, res, errOut, probeModule)
	}
	if _, err := os.Stat(filepath.Join(overlayModules(fresh), "party", "tryton.cfg")); err != nil {
		t.Errorf("the new overlay lacks party: %v", err)
	}
	if len(res.Todo) == 0 || !strings.Contains(res.Todo[0], "PYTHONPATH="+fresh) || !slices.Contains(res.Start, "PYTHONPATH="+fresh) {
		t.Errorf("setup does not say that the server's start lacks the new overlay: %q, start %q", res.Todo, res.Start)
	}
}

func mustReadFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
