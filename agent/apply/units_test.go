package apply

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

func ver(s string) catalog.Version {
	v, err := catalog.ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestDiff(t *testing.T) {
	d := Diff(map[string]string{"menu/1": "Sales", "menu/2": "Stock", "cfg/x": "1"},
		map[string]string{"menu/1": "Sales", "menu/2": "Inventory", "menu/3": "Notes"})
	if len(d.Added) != 1 || d.Added[0] != (Setting{"menu/3", "Notes"}) ||
		len(d.Removed) != 1 || d.Removed[0] != (Setting{"cfg/x", "1"}) ||
		len(d.Changed) != 1 || d.Changed[0] != (SettingChange{"menu/2", "Stock", "Inventory"}) {
		t.Errorf("drift = %+v", d)
	}
	if !Diff(map[string]string{"a": "1"}, map[string]string{"a": "1"}).Empty() {
		t.Error("identical snapshots drifted")
	}
}

func TestStepsFollowStagesAndDependencyOrder(t *testing.T) {
	sc := func(phase, path, to string) catalog.Script {
		return catalog.Script{Phase: phase, Path: path, To: ver(to)}
	}
	plan := &scan.Plan{
		Disable: []scan.Disable{{Module: "reports", Version: ver("0.9.0")}},
		Changes: []scan.PlannedChange{
			{Stage: 1, Module: "core", From: ver("2.50.20"), To: ver("2.50.22"), Pre: []catalog.Script{sc("pre", "m/pre.sql", "2.50.22")}, Post: []catalog.Script{sc("post", "m/post.sql", "2.50.22")}},
			{Stage: 1, Module: "arp", From: ver("1.3.0"), To: ver("1.4.0"), Post: []catalog.Script{sc("post", "m/p.sh", "1.4.0")}},
			{Stage: 2, Module: "core", From: ver("2.50.22"), To: ver("3.0.0")},
			{Stage: 2, Module: "warehouse", To: ver("2.0.0")},
		},
	}
	want := []string{
		"preflight: lock, plan, disk room, ERP health", "download and verify 4 archives", "stop the ERP server", "backup the database",
		"pre core 2.50.22: m/pre.sql", "install core 2.50.22", "install arp 1.4.0", "update core, arp; disable reports",
		"post core 2.50.22: m/post.sql", "post arp 1.4.0: m/p.sh",
		"install core 3.0.0", "install warehouse 2.0.0", "update core; install warehouse",
		"start the ERP server", "health checks", "record the new versions, the history and the settings drift",
	}
	got := Steps(plan)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, name := range got {
		if k := kindOf(name); k != buildSteps(plan)[i].kind {
			t.Errorf("kindOf(%q) = %q, want %q", name, k, buildSteps(plan)[i].kind)
		}
	}
}

// TestRehearsalStepsNameTheCopy: no step of a rehearsal reads as if
// production were touched, and each keeps its kind.
func TestRehearsalStepsNameTheCopy(t *testing.T) {
	plan := &scan.Plan{Changes: []scan.PlannedChange{{Stage: 1, Module: "core", From: ver("2.50.20"), To: ver("2.50.22")}}}
	prod := buildSteps(plan)
	var got []string
	for i, s := range rehearsalSteps(prod, "the copy") {
		got = append(got, s.name)
		if kindOf(s.name) != prod[i].kind {
			t.Errorf("%q: kind %q, want %q", s.name, kindOf(s.name), prod[i].kind)
		}
		if strings.Contains(s.name, "the ERP server") || strings.Contains(s.name, "the database") || strings.Contains(s.name, "new versions") {
			t.Errorf("rehearsal step %q reads as if production were touched", s.name)
		}
	}
	for _, want := range []string{"download and verify 1 archive", "stop the copy's server (production keeps running)", "backup of the copy's database",
		"start the copy's server", "health checks on the copy", "record the settings drift on the copy"} {
		if !slices.Contains(got, want) {
			t.Errorf("rehearsal steps %q lack %q", got, want)
		}
	}
}

// moduleDir writes a folder holding the manifest of module at version.
func moduleDir(t *testing.T, dir, module, version string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "name = \"" + module + "\"\nversion = \"" + version + "\"\nsummary = \"x\"\nmaturity = \"confirmed-stable\"\n"
	if err := os.WriteFile(filepath.Join(dir, catalog.ManifestName), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nilWriter panics on every call: fakes embed it and define only what a
// test of pure logic reaches.
type nilWriter struct{ erp.Writer }

// folderWriter is the part of erp.Writer the swap uses: module folders in
// one addons folder. Embedding a nil Writer makes any other call panic.
type folderWriter struct {
	nilWriter
	addons string
}

func (f folderWriter) ModuleDir(name string) (string, error) {
	return filepath.Join(f.addons, name), nil
}

func TestSwapAndItsUndoAreIdempotent(t *testing.T) {
	root := t.TempDir()
	addons := filepath.Join(root, "addons")
	moduleDir(t, filepath.Join(addons, "arp"), "arp", "1.3.0")
	plan := &scan.Plan{Changes: []scan.PlannedChange{
		{Stage: 1, Module: "arp", From: ver("1.3.0"), To: ver("1.4.0")},
		{Stage: 1, Module: "notes", To: ver("1.0.0")}, // a new module: nothing to replace
		{Stage: 2, Module: "arp", From: ver("1.4.0"), To: ver("2.0.0")},
	}}
	rn := &run{r: &Runner{Writer: folderWriter{addons: addons}}, plan: plan, staging: filepath.Join(root, "staging")}
	for i, c := range plan.Changes {
		moduleDir(t, rn.stagedPath(i), c.Module, c.To.String())
	}
	var out strings.Builder
	for i := range plan.Changes[:2] { // stage 1 swapped, stage 2 not: a failure in between
		if err := rn.install(i, &out); err != nil {
			t.Fatal(err)
		}
	}
	if !holds(filepath.Join(addons, "arp"), "arp", ver("1.4.0")) || !holds(filepath.Join(addons, "notes"), "notes", ver("1.0.0")) {
		t.Fatal("install did not put the new folders in place")
	}
	for range 2 { // the second undo is what a crash during the first leads to
		if err := rn.uninstallAll(context.Background(), &out); err != nil {
			t.Fatal(err)
		}
		if !holds(filepath.Join(addons, "arp"), "arp", ver("1.3.0")) {
			t.Fatal("arp 1.3.0 is not back in place")
		}
		if _, err := os.Stat(filepath.Join(addons, "notes")); !os.IsNotExist(err) {
			t.Fatalf("the new module's folder is still live: %v", err)
		}
		for i, c := range plan.Changes {
			if !holds(rn.stagedPath(i), c.Module, c.To) {
				t.Fatalf("staged folder %d no longer holds %s %s", i, c.Module, c.To)
			}
		}
	}
}

func TestSettleSwapFinishesOrUndoesAHalfSwap(t *testing.T) {
	for _, done := range []int{1, 2} { // renames done by the fallback before a crash
		root := t.TempDir()
		a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
		moduleDir(t, a, "m", "2.0.0")
		moduleDir(t, b, "m", "1.0.0")
		os.Rename(b, b+".upkeep-swap")
		if done == 2 {
			os.Rename(a, b)
		}
		if err := settleSwap(a, b); err != nil {
			t.Fatal(err)
		}
		if !holds(a, "m", ver(map[int]string{1: "2.0.0", 2: "1.0.0"}[done])) || !holds(b, "m", ver(map[int]string{1: "1.0.0", 2: "2.0.0"}[done])) {
			t.Errorf("after %d renames the swap was not settled", done)
		}
	}
}

// scriptWriter gives scripts their environment only.
type scriptWriter struct{ nilWriter }

func (scriptWriter) Scripts() erp.ScriptEnv { return erp.ScriptEnv{Python: "/usr/bin/python3"} }

func TestScriptTimeoutKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	r := &Runner{Writer: scriptWriter{}, Config: config.Apply{ScriptTimeout: config.Duration{Duration: 300 * time.Millisecond}}}
	rn := &run{r: r, id: 1, staging: filepath.Join(dir, "staging"), plan: &scan.Plan{Changes: []scan.PlannedChange{{Stage: 1, Module: "m", To: ver("1.0.0")}}}}
	os.MkdirAll(rn.stagedPath(0), 0o755)
	os.WriteFile(filepath.Join(rn.stagedPath(0), "hang.sh"), []byte("echo starting\nsleep 60 &\necho $! > "+pidFile+"\nwait\n"), 0o644)
	var lines []string
	out := newOutput(func(l string) { lines = append(lines, l) })
	began := time.Now()
	err := rn.script(context.Background(), step{kind: kindPre, change: 0, script: catalog.Script{Phase: "pre", Path: "hang.sh"}}, out)
	if err == nil || !strings.Contains(err.Error(), "script_timeout") {
		t.Fatalf("a hanging script: %v, want a timeout error naming apply.script_timeout", err)
	}
	if took := time.Since(began); took > waitDelay+5*time.Second {
		t.Errorf("the runner waited %s for a killed script", took)
	}
	if len(lines) == 0 || lines[0] != "starting" {
		t.Errorf("output lines = %q, want the script's output", lines)
	}
	data, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	deadline := time.Now().Add(5 * time.Second)
	for platform.ProcessAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if pid == 0 || platform.ProcessAlive(pid) {
		t.Errorf("the script's child %d survived the timeout", pid)
	}
}

func TestOutputKeepsTheTailAndSplitsLines(t *testing.T) {
	var lines []string
	o := newOutput(func(l string) { lines = append(lines, l) })
	o.Write([]byte("one\r\ntw"))
	o.Write([]byte("o\nthree"))
	o.Flush()
	if strings.Join(lines, "|") != "one|two|three" {
		t.Errorf("lines = %q", lines)
	}
	big := strings.Repeat("x", 3*store.OutputLimit)
	o.Write([]byte(big))
	if n := len(o.String()); n > 2*store.OutputLimit {
		t.Errorf("kept %d bytes, want at most %d", n, 2*store.OutputLimit)
	}
}
