package apply_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// config writes the upkeep configuration of f's instance and returns its path.
func (f *fixture) config(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root.json")
	if err := os.WriteFile(root, f.root, 0o644); err != nil {
		t.Fatal(err)
	}
	q := func(ss ...string) string {
		b, _ := json.Marshal(ss)
		return string(b)
	}
	body := fmt.Sprintf(`[erp]
kind = "demo"
demo.dir = %q
demo.url = "http://%s"
demo.command = %s
[erp.server]
pidfile = %q
start = %s
log = %q
stop_timeout = "10s"
[repository]
url = %q
trusted_root = %q
[state]
dir = %q
[apply]
script_timeout = "20s"
health_timeout = "20s"
`, f.dir, f.addr, q(bins.demoERP), f.pidfile, q(f.serverCommand()...), filepath.Join(dir, "server.log"), f.repoURL, root, f.state)
	conf := filepath.Join(dir, "upkeep.toml")
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// upkeep runs the upkeep program to its end.
func upkeep(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(upkeepBin(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "UPKEEP_TEST_STOP_AT=")
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("upkeep %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// writePlan has upkeep plan the instance and saves the plan file.
func writePlan(t *testing.T, conf string) (string, *scan.Plan) {
	t.Helper()
	code, out, errOut := upkeep(t, "--config", conf, "plan", "--json")
	if code != 0 {
		t.Fatalf("upkeep plan: exit %d: %s", code, errOut)
	}
	var p scan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(path, []byte(out), 0o644)
	return path, &p
}

// stopAt starts upkeep with args and the test hook at boundary at,
// waits until the runner stops there and returns the process, still alive.
func stopAt(t *testing.T, at string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(upkeepBin(t), args...)
	cmd.Env = append(os.Environ(), "UPKEEP_TEST_STOP_AT="+at)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reached := make(chan string, 1)
	go func() {
		var seen strings.Builder
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "UPKEEP_TEST_STOP_AT="+at+" reached") {
				reached <- ""
				io.Copy(io.Discard, out)
				return
			}
		}
		reached <- seen.String()
	}()
	select {
	case seen := <-reached:
		if seen != "" {
			cmd.Wait()
			t.Fatalf("upkeep %v ended (exit %d) before boundary %s:\n%s", args, cmd.ProcessState.ExitCode(), at, seen)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("upkeep %v did not reach boundary %s", args, at)
	}
	return cmd
}

// kill sends SIGKILL and reaps the process.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("upkeep was not killed by SIGKILL: %v", cmd.ProcessState)
	}
}

// TestCrashAtEveryStepConverges kills a real upkeep apply with SIGKILL at
// every step boundary (after a step's end is journaled, and after its work
// but before its end is journaled), then runs upkeep apply --recover-only:
// the instance must end old-and-healthy before the commit point (the
// health step journaled done) and new-and-healthy after it.
func TestCrashAtEveryStepConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real upkeep processes at every step boundary")
	}
	base := newFixture(t, goodNotes())
	conf := base.config(t)
	planFile, plan := writePlan(t, conf)
	steps := apply.Steps(plan)
	health := 0
	for i, s := range steps {
		if strings.HasPrefix(s, "health") {
			health = i + 1
		}
	}
	for n := 1; n <= len(steps); n++ {
		for _, at := range []string{strconv.Itoa(n), strconv.Itoa(n) + "!"} {
			newer := n > health || n == health && !strings.HasSuffix(at, "!")
			t.Run(at+" "+steps[n-1], func(t *testing.T) {
				t.Parallel() // the cases mostly wait for processes
				crashAndRecover(t, base, planFile, at, newer)
			})
		}
	}
}

func crashAndRecover(t *testing.T, base *fixture, planFile, at string, newer bool) {
	f := base.newInstance(t)
	conf := f.config(t)
	before := f.snapshot(t)
	cmd := stopAt(t, at, "--config", conf, "apply", planFile, "--yes")
	if at == "5" { // a second apply while this one holds the lock is refused
		if code, _, errOut := upkeep(t, "--config", conf, "apply", planFile, "--yes"); code != 7 || !strings.Contains(errOut, "another apply is running") {
			t.Errorf("a second apply: exit %d %q, want 7 (locked)", code, errOut)
		}
	}
	kill(t, cmd)
	code, out, errOut := upkeep(t, "--config", conf, "apply", "--recover-only", "--json")
	if wantCode := map[bool]int{false: 1, true: 0}[newer]; code != wantCode { // docs/CLI.md: 1 when it restored
		t.Fatalf("upkeep apply --recover-only: exit %d, want %d\n%s%s", code, wantCode, out, errOut)
	}
	var res apply.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Recovered {
		t.Fatalf("recovery result %q: %v; want a recovered run", out, err)
	}
	f.waitHealthy(t)
	want := map[bool]string{false: store.RunFailedRestored, true: store.RunSucceeded}[newer]
	if res.State != want {
		t.Errorf("recovered run is %s, want %s", res.State, want)
	}
	if newer {
		f.checkInstalled(t, map[string]string{"notes": "1.1.0", "core": "2.50.22", "arp": "1.4.0"})
		if v, err := f.query(t, "SELECT color FROM notes_item WHERE id = 1"); v != "blue" || err != nil {
			t.Errorf("after rolling forward, the post script's value = %q, %v", v, err)
		}
	} else if after := f.snapshot(t); after != before {
		t.Errorf("after rolling back: database %v, files %v differ from before", after.db != before.db, after.files != before.files)
	}
	if p, err := f.store.PendingRun(ctx); p != nil || err != nil {
		t.Errorf("a run is still pending: %+v, %v", p, err)
	}
	f.checkClean(t, res.Run)
}

// TestCrashDuringRestoreConverges makes a post script fail, kills upkeep
// at every boundary of the restore that follows, and recovers: the
// restore, repeated from its start, must still end old-and-healthy.
func TestCrashDuringRestoreConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real upkeep processes during the restore")
	}
	failing := goodNotes()
	failing.scripts = append(failing.scripts, sample.Script{Phase: "post", Path: "migrations/1.1.0/d_fail.sh", To: "1.1.0", Body: "exit 1\n"})
	base := newFixture(t, failing)
	planFile, plan := writePlan(t, base.config(t))
	failed := 0
	for i, s := range apply.Steps(plan) {
		if strings.Contains(s, "d_fail.sh") {
			failed = i + 1
		}
	}
	for k := failed + 1; k <= failed+5; k++ { // stop, folders, database, start, health
		for _, at := range []string{strconv.Itoa(k), strconv.Itoa(k) + "!"} {
			t.Run("restore step "+at, func(t *testing.T) {
				t.Parallel()
				crashAndRecover(t, base, planFile, at, false)
			})
		}
	}
}

// TestRestoreFailureKeepsTheBackupAndRetries kills upkeep after the ERP's
// update, damages the backup, and recovers: the restore fails and says
// what to run (exit 8), nothing else may run meanwhile, and once the backup
// is repaired the same command converges to old-and-healthy.
func TestRestoreFailureKeepsTheBackupAndRetries(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a real upkeep process")
	}
	f := newFixture(t, goodNotes())
	conf := f.config(t)
	planFile, plan := writePlan(t, conf)
	before := f.snapshot(t)
	update := 0
	for i, s := range apply.Steps(plan) {
		if strings.HasPrefix(s, "update") {
			update = i + 1
		}
	}
	kill(t, stopAt(t, strconv.Itoa(update), "--config", conf, "apply", planFile, "--yes"))
	backup := filepath.Join(f.state, "runs", "1", "backup", "erp.sqlite")
	good, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0xff
	os.WriteFile(backup, bad, 0o600)
	code, out, errOut := upkeep(t, "--config", conf, "apply", "--recover-only", "--json")
	var res apply.Result
	json.Unmarshal([]byte(out), &res)
	if code != 8 || res.State != store.RunRestoreFailed || !strings.Contains(errOut, "upkeep apply --recover-only") || !strings.Contains(errOut, backup) {
		t.Fatalf("recovery with a damaged backup: exit %d, state %s\n%s; want exit 8 naming the backup and the command to run", code, res.State, errOut)
	}
	t.Logf("the failed restore says:\n%s", errOut)
	if code, _, errOut := upkeep(t, "--config", conf, "apply", planFile, "--yes"); code != 8 {
		t.Errorf("an apply while the restore failed: exit %d %s, want 8 (refused)", code, errOut)
	}
	os.WriteFile(backup, good, 0o600)
	if code, out, errOut := upkeep(t, "--config", conf, "apply", "--recover-only", "--json"); code != 1 || !strings.Contains(out, store.RunFailedRestored) {
		t.Fatalf("recovery once the backup is repaired: exit %d\n%s%s", code, out, errOut)
	}
	f.waitHealthy(t)
	if after := f.snapshot(t); after != before {
		t.Errorf("after the repaired restore: database %v, files %v differ from before", after.db != before.db, after.files != before.files)
	}
	f.checkClean(t, 1)
}
