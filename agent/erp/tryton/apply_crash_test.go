//go:build linux

package tryton

import (
	"bufio"
	"encoding/json"
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
)

// midUpdate names the crash in the middle of trytond-admin.
const midUpdate = "mid-update"

// TestApplyTrytonCrashRecovery kills a real upkeep apply with SIGKILL at
// every step boundary on SQLite (after a step's end is journaled, "N", and
// after its work but before its end is journaled, "N!"), in the middle of
// trytond-admin, and at a few boundaries on PostgreSQL; then runs upkeep
// apply --recover-only. Before the commit point (the health step journaled
// done) the instance must end exactly as before and healthy, after it
// updated and healthy, with no manual step.
func TestApplyTrytonCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real upkeep processes at every step boundary")
	}
	t.Parallel()
	needTryton(t)
	cr := serveProbe(t, goodVariant())
	steps := planSteps(t, newApplyInstance(t, backendSQLite, cr, agentOptions{}))
	health := 0
	for i, s := range steps {
		if strings.HasPrefix(s, "health") {
			health = i + 1
		}
	}
	newer := func(at string) bool {
		n, _ := strconv.Atoi(strings.TrimSuffix(at, "!"))
		return n > health || n == health && !strings.HasSuffix(at, "!")
	}
	cases := map[string][]string{backendSQLite: {midUpdate}, backendPostgres: {midUpdate, "4!", "9", strconv.Itoa(health)}}
	for n := 1; n <= len(steps); n++ {
		cases[backendSQLite] = append(cases[backendSQLite], strconv.Itoa(n)+"!", strconv.Itoa(n))
	}
	for _, backend := range []string{backendSQLite, backendPostgres} {
		for _, at := range cases[backend] {
			name := at
			if n, err := strconv.Atoi(strings.TrimSuffix(at, "!")); err == nil {
				name += " " + steps[n-1]
			}
			t.Run(backend+" "+name, func(t *testing.T) {
				t.Parallel() // the cases mostly wait for processes
				ai := newApplyInstance(t, backend, cr, agentOptions{})
				ai.crashAndRecover(t, at, newer(at))
			})
		}
	}
}

// planSteps returns the names of the steps of the plan upkeep makes for ai.
func planSteps(t *testing.T, ai *applyInstance) []string {
	t.Helper()
	code, out, errOut := ai.upkeep(t, "plan", "--json")
	var p scan.Plan
	if err := json.Unmarshal([]byte(out), &p); code != 0 || err != nil {
		t.Fatalf("upkeep plan: exit %d, %v\n%s", code, err, errOut)
	}
	return apply.Steps(&p)
}

func (ai *applyInstance) crashAndRecover(t *testing.T, at string, newer bool) {
	before, data := ai.snapshot(t), ai.probeData(t)
	if at == midUpdate {
		ai.killMidUpdate(t)
	} else {
		kill(t, ai.stopAt(t, at))
	}
	code, out, errOut := ai.upkeep(t, "apply", "--recover-only", "--json")
	res := result(t, out, errOut)
	want := map[bool]string{false: store.RunFailedRestored, true: store.RunSucceeded}[newer]
	wantCode := map[bool]int{false: 1, true: 0}[newer] // docs/CLI.md: --recover-only exits 1 when it restored
	if code != wantCode || !res.Recovered || res.State != want {
		t.Fatalf("upkeep apply --recover-only: exit %d, recovered %v, state %s (want %s): %s\n%s", code, res.Recovered, res.State, want, res.Error, errOut)
	}
	if newer {
		ai.checkNew(t, data)
	} else {
		ai.checkOld(t, before)
		if got := ai.probeData(t); got != data {
			t.Errorf("the seeded records are %s after the recovery, %s before", got, data)
		}
	}
	ai.checkClean(t)
	if code, out, _ := ai.upkeep(t, "apply", "--recover-only"); code != 0 || !strings.Contains(out, "nothing was left unfinished") {
		t.Errorf("a second recovery: exit %d %q, want nothing left unfinished", code, out)
	}
}

// startApply starts upkeep apply --yes with the test hook at (may be "")
// and returns it with its combined output.
func (ai *applyInstance) startApply(t *testing.T, at string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(upkeepBin(t), "--config", ai.conf, "apply", "--yes")
	cmd.Env = append(os.Environ(), "UPKEEP_TEST_STOP_AT="+at)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, bufio.NewScanner(out)
}

// waitLine reads the output until a line contains want, then keeps
// draining it; it fails the test if the program ends first.
func waitLine(t *testing.T, cmd *exec.Cmd, sc *bufio.Scanner, want string) {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		var seen strings.Builder
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), want) {
				found <- ""
				for sc.Scan() {
				}
				return
			}
		}
		found <- seen.String()
	}()
	select {
	case out := <-found:
		if out != "" {
			cmd.Wait()
			t.Fatalf("upkeep apply ended (exit %d) before %q:\n%s", cmd.ProcessState.ExitCode(), want, out)
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("upkeep apply did not reach %q", want)
	}
}

// stopAt runs upkeep apply until the runner stops at boundary at.
func (ai *applyInstance) stopAt(t *testing.T, at string) *exec.Cmd {
	t.Helper()
	cmd, sc := ai.startApply(t, at)
	waitLine(t, cmd, sc, "UPKEEP_TEST_STOP_AT="+at+" reached")
	return cmd
}

// killMidUpdate kills upkeep while trytond-admin works on the database:
// once its SQLite journal exists (a write transaction is open), or once it
// has a PostgreSQL session on the database; trytond-admin must die with it.
func (ai *applyInstance) killMidUpdate(t *testing.T) {
	t.Helper()
	working := ai.updateWorking(t)
	cmd, sc := ai.startApply(t, "")
	waitLine(t, cmd, sc, "] update "+probeModule+" …")
	var admin int
	for deadline := time.Now().Add(time.Minute); admin == 0; time.Sleep(5 * time.Millisecond) {
		if admin = childNamed(cmd.Process.Pid, "trytond-admin"); time.Now().After(deadline) {
			t.Fatal("no trytond-admin child of upkeep appeared")
		}
	}
	began := time.Now()
	for !working() {
		if !alive(admin) {
			t.Fatalf("trytond-admin ended after %s before it was seen working on the database", time.Since(began))
		}
		time.Sleep(2 * time.Millisecond)
	}
	kill(t, cmd)
	t.Logf("killed upkeep %s into trytond-admin", time.Since(began).Round(time.Millisecond))
	for deadline := time.Now().Add(10 * time.Second); alive(admin); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("trytond-admin (pid %d) still runs 10 s after upkeep was killed", admin)
		}
	}
}

// updateWorking returns a probe of whether a process other than the test
// is working on the stopped instance's database.
func (ai *applyInstance) updateWorking(t *testing.T) func() bool {
	if ai.tm.pg == nil {
		return func() bool { _, err := os.Stat(ai.file + "-journal"); return err == nil }
	}
	db, err := ai.w.openDB(true)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return func() bool {
		var n int
		err := db.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").Scan(&n)
		return err == nil && n > 0
	}
}

// childNamed returns the process id of a child of parent whose command
// name is name, or 0.
func childNamed(parent int, name string) int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		s := string(data)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(s[end+1:])
		if len(fields) > 1 && s[open+1:end] == name && fields[1] == strconv.Itoa(parent) {
			pid, _ := strconv.Atoi(strings.TrimSpace(s[:open]))
			return pid
		}
	}
	return 0
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
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
