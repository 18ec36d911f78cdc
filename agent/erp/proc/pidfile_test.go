//go:build unix

package proc_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/internal/testwait"
	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

func newServer(t *testing.T, c proc.Config) erp.Server {
	t.Helper()
	s, err := proc.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	return s
}

// demoInstance creates a demo ERP instance with its core only.
func demoInstance(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	core, err := sample.ArchiveOf("core", "2.50.20")
	if err != nil {
		t.Fatal(err)
	}
	if err := demoerp.NewInstance(dir, [][]byte{core}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := proc.ParsePID(data)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitFor polls cond every 20ms for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !testwait.Until(10*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

func healthy(addr string) bool {
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestPIDFileRunsTheDemoServer(t *testing.T) {
	dir, addr := demoInstance(t), erptest.FreeAddr(t)
	pf := filepath.Join(t.TempDir(), "run", "erp.pid")
	log := filepath.Join(t.TempDir(), "erp.log")
	if err := os.MkdirAll(filepath.Dir(pf), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, proc.Config{PIDFile: pf, Log: log, StopTimeout: 10 * time.Second,
		Start: []string{demoERP, "--dir", dir, "serve", "--addr", addr, "--pidfile", pf}})
	for i := range 2 {
		if err := s.Start(t.Context()); err != nil {
			t.Fatalf("Start #%d: %v", i+1, err)
		}
	}
	pid := readPID(t, pf)
	if !platform.ProcessAlive(pid) {
		t.Fatalf("Start returned but pid %d is not alive", pid)
	}
	waitFor(t, "the demo server's /health", func() bool { return healthy(addr) })
	if out, _ := os.ReadFile(log); !strings.Contains(string(out), "listening on http://"+addr) {
		t.Errorf("the server's output did not reach the log:\n%s", out)
	}
	for i := range 2 {
		if err := s.Stop(t.Context()); err != nil {
			t.Fatalf("Stop #%d: %v", i+1, err)
		}
	}
	if platform.ProcessAlive(pid) {
		t.Errorf("pid %d still runs after Stop", pid)
	}
	if _, err := os.Stat(pf); !os.IsNotExist(err) {
		t.Errorf("the pidfile is still there after Stop: %v", err)
	}
	if healthy(addr) {
		t.Error("/health still answers after Stop")
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if readPID(t, pf) == pid {
		t.Error("a restarted server has the old pid")
	}
}

// stubbornScript notes SIGTERM but keeps running, so only SIGKILL stops it.
const stubbornScript = `trap 'echo got-TERM' TERM; echo $$ > "$1"; while :; do sleep 0.05; done`

func TestStopKillsAServerThatIgnoresSIGTERM(t *testing.T) {
	tmp := t.TempDir()
	pf, log := filepath.Join(tmp, "s.pid"), filepath.Join(tmp, "s.log")
	const timeout = 400 * time.Millisecond
	s := newServer(t, proc.Config{PIDFile: pf, Log: log, StopTimeout: timeout,
		Start: []string{"sh", "-c", stubbornScript, "sh", pf}})
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	pid := readPID(t, pf)
	start := time.Now()
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(start); took < timeout {
		t.Errorf("Stop returned after %s, before the %s SIGTERM timeout", took, timeout)
	}
	if platform.ProcessAlive(pid) {
		t.Fatalf("pid %d survived Stop", pid)
	}
	if out, _ := os.ReadFile(log); !strings.Contains(string(out), "got-TERM") {
		t.Errorf("the server never saw SIGTERM before SIGKILL; log:\n%s", out)
	}
	if _, err := os.Stat(pf); !os.IsNotExist(err) {
		t.Errorf("the pidfile of the killed server is still there: %v", err)
	}
}

func TestStartOfACommandThatExitsAtOnce(t *testing.T) {
	tmp := t.TempDir()
	pf := filepath.Join(tmp, "s.pid")
	s := newServer(t, proc.Config{PIDFile: pf, Log: filepath.Join(tmp, "s.log"),
		Start: []string{"sh", "-c", `echo "starting"; echo "FATAL: cannot open the database" >&2; exit 3`}})
	start := time.Now()
	err := s.Start(t.Context())
	if err == nil {
		t.Fatal("Start of a command that exits 3 succeeded")
	}
	for _, want := range []string{"exit status 3", "FATAL: cannot open the database", "starting"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Start took %s to notice the exit", took)
	}
}

func TestStartOfACommandThatExitsZeroWithoutAServer(t *testing.T) {
	tmp := t.TempDir()
	pf := filepath.Join(tmp, "s.pid")
	s := newServer(t, proc.Config{PIDFile: pf, Start: []string{"sh", "-c", "echo daemonized, supposedly"}})
	err := s.Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), "without a live server") || !strings.Contains(err.Error(), "daemonized, supposedly") {
		t.Fatalf("Start = %v, want the missing server and the output named", err)
	}
	if _, err := os.Stat(pf + ".log"); err != nil {
		t.Errorf("the default log %s.log: %v", pf, err)
	}
}

func TestStartTimesOutWhenNoPidfileAppears(t *testing.T) {
	tmp := t.TempDir()
	child := filepath.Join(tmp, "child.pid")
	s := newServer(t, proc.Config{PIDFile: filepath.Join(tmp, "s.pid"), StartTimeout: 300 * time.Millisecond,
		Start: []string{"sh", "-c", `echo $$ > "$1"; exec sleep 60`, "sh", child}})
	if err := s.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "no live process id") {
		t.Fatalf("Start = %v, want a timeout naming the pidfile", err)
	}
	pid := readPID(t, child)
	waitFor(t, "the unreported server to be killed", func() bool { return !platform.ProcessAlive(pid) })
}

// deadPID returns the id of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestStalePidfileCountsAsStopped(t *testing.T) {
	dir, addr := demoInstance(t), erptest.FreeAddr(t)
	pf := filepath.Join(t.TempDir(), "erp.pid")
	if err := os.WriteFile(pf, []byte(strconv.Itoa(deadPID(t))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, proc.Config{PIDFile: pf, Start: []string{demoERP, "--dir", dir, "serve", "--addr", addr, "--pidfile", pf}})
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop with a stale pidfile: %v", err)
	}
	if _, err := os.Stat(pf); !os.IsNotExist(err) {
		t.Errorf("the stale pidfile was not removed: %v", err)
	}
	if err := os.WriteFile(pf, []byte(strconv.Itoa(deadPID(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start over a stale pidfile: %v", err)
	}
	waitFor(t, "the demo server's /health", func() bool { return healthy(addr) })
}

func TestReusedPIDIsNotKilled(t *testing.T) {
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	pf := filepath.Join(t.TempDir(), "erp.pid")
	if err := os.WriteFile(pf, []byte(strconv.Itoa(other.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour) // the server wrote it an hour ago, then died
	if err := os.Chtimes(pf, old, old); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, proc.Config{PIDFile: pf, StopTimeout: time.Second, Start: []string{"true"}})
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !platform.ProcessAlive(other.Process.Pid) {
		t.Fatal("Stop killed another program that reused the server's old pid")
	}
	if _, err := os.Stat(pf); !os.IsNotExist(err) {
		t.Errorf("the pidfile naming a reused pid was not removed: %v", err)
	}
}

func TestPidfileThatIsNotAPID(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "erp.pid")
	if err := os.WriteFile(pf, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := proc.New(proc.Config{PIDFile: pf, Start: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Stop(t.Context())
	if err == nil || !strings.Contains(err.Error(), pf) || !strings.Contains(err.Error(), "remove it") {
		t.Fatalf("Stop = %v, want the pidfile named and a remedy", err)
	}
	if data, _ := os.ReadFile(pf); string(data) != "hello\n" {
		t.Error("the unreadable pidfile was changed")
	}
}

// groupLeader starts sleep 60 leading its own process group, as a server
// the agent started would.
func groupLeader(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	platform.OwnProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	return cmd
}

func writePidfile(t *testing.T, pf string, pid int, token string, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(pf, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(pf, at, at); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pf+".upkeep-id", []byte(fmt.Sprintf("%d %s\n", pid, token)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRecordedTokenDecidesWhoTheServerIs(t *testing.T) {
	t.Run("another token: a reused pid, not signalled", func(t *testing.T) {
		other := groupLeader(t)
		pf := filepath.Join(t.TempDir(), "erp.pid")
		writePidfile(t, pf, other.Process.Pid, "12345", 0) // a fresh pidfile: the times alone would trust it
		s := newServer(t, proc.Config{PIDFile: pf, StopTimeout: time.Second, Start: []string{"true"}})
		if err := s.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if !platform.ProcessAlive(other.Process.Pid) {
			t.Fatal("Stop killed a process whose token differs from the recorded one")
		}
		if _, err := os.Stat(pf + ".upkeep-id"); !os.IsNotExist(err) {
			t.Errorf("the stale record was not removed: %v", err)
		}
	})
	t.Run("same token: our server, stopped even after a clock change", func(t *testing.T) {
		ours := groupLeader(t)
		token, err := platform.ProcessToken(ours.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		pf := filepath.Join(t.TempDir(), "erp.pid")
		// the pidfile looks written an hour before the process started (the
		// clock jumped forward since): the times alone would call it reused
		writePidfile(t, pf, ours.Process.Pid, token, time.Hour)
		s := newServer(t, proc.Config{PIDFile: pf, StopTimeout: 5 * time.Second, Start: []string{"true"}})
		if err := s.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if platform.ProcessAlive(ours.Process.Pid) {
			t.Fatal("Stop left the server whose token matches running")
		}
	})
}

func TestStartRecordsTheServersToken(t *testing.T) {
	tmp := t.TempDir()
	pf := filepath.Join(tmp, "s.pid")
	s := newServer(t, proc.Config{PIDFile: pf, Start: []string{"sh", "-c", `echo $$ > "$1"; exec sleep 60`, "sh", pf}})
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	pid := readPID(t, pf)
	token, err := platform.ProcessToken(pid)
	if err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(pf + ".upkeep-id"); string(data) != fmt.Sprintf("%d %s\n", pid, token) {
		t.Errorf("the record is %q, want pid %d token %s", data, pid, token)
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pf + ".upkeep-id"); !os.IsNotExist(err) {
		t.Errorf("the record outlived the server: %v", err)
	}
}
