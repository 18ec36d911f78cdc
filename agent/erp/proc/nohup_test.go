//go:build linux

package proc_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/platform"
)

// listens reports whether something accepts connections on addr.
func listens(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// leadsGroupOrSession reports whether pid leads its process group or session.
func leadsGroupOrSession(t *testing.T, pid int) bool {
	t.Helper()
	all, err := platform.Processes()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		if p.PID == pid {
			return p.PGID == pid || p.SID == pid
		}
	}
	t.Fatalf("pid %d is not in the process table", pid)
	return false
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStopAServerStartedWithNohupByAScript(t *testing.T) {
	dir, addr := demoInstance(t), erptest.FreeAddr(t)
	tmp := t.TempDir()
	pf := filepath.Join(tmp, "erp.pid")
	// an init script's way: the server in the background, the script gone;
	// the server leads neither its process group nor its session
	start := writeScript(t, filepath.Join(tmp, "start.sh"),
		`nohup "$1" --dir "$2" serve --addr "$3" --pidfile "$4" >"$4.out" 2>&1 &`+"\n")
	s := newServer(t, proc.Config{PIDFile: pf, StopTimeout: 20 * time.Second,
		Start: []string{start, demoERP, dir, addr, pf}})
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	pid := readPID(t, pf)
	if leadsGroupOrSession(t, pid) {
		t.Fatalf("the server %d leads its process group or session: the test does not test what it should", pid)
	}
	waitFor(t, "the demo server's /health", func() bool { return healthy(addr) })
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if platform.ProcessRunning(pid) {
		t.Errorf("pid %d still runs after Stop", pid)
	}
	if listens(addr) {
		t.Errorf("%s still accepts connections after Stop", addr)
	}
}

// stubbornServer is a server that ignores SIGTERM, as does the worker it
// forks; the worker leaves the group and session and keeps the listening
// socket. The server writes its pid to argv[1], the worker's to argv[2]
// and the port to argv[3].
const stubbornServer = `
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
w = os.fork()
if w == 0:
    os.setsid()
    while True: time.sleep(1)
open(sys.argv[2], "w").write(str(w) + "\n")
open(sys.argv[3], "w").write(str(s.getsockname()[1]) + "\n")
open(sys.argv[1] + ".tmp", "w").write(str(os.getpid()) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True: time.sleep(1)
`

func TestStopAStubbornServerAndItsWorkerStartedByAnInitScript(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 runs the stubborn server")
	}
	tmp := t.TempDir()
	pf, wf, portf := filepath.Join(tmp, "erp.pid"), filepath.Join(tmp, "worker.pid"), filepath.Join(tmp, "port")
	py := filepath.Join(tmp, "server.py")
	if err := os.WriteFile(py, []byte(stubbornServer), 0o644); err != nil {
		t.Fatal(err)
	}
	script := writeScript(t, filepath.Join(tmp, "init.sh"), `nohup python3 "$@" >/dev/null 2>&1 &`+"\n")
	boot := exec.Command(script, py, pf, wf, portf) // started by "init", not by the agent
	platform.Detach(boot)
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("the init script: %v: %s", err, out)
	}
	waitFor(t, "the server's pidfile", func() bool { _, err := os.Stat(pf); return err == nil })
	pid, worker := readPID(t, pf), readPID(t, wf)
	port, _ := os.ReadFile(portf)
	addr := "127.0.0.1:" + strings.TrimSpace(string(port))
	t.Cleanup(func() { platform.Kill(pid); platform.Kill(worker) })
	if !listens(addr) {
		t.Fatalf("the stubborn server does not listen on %s", addr)
	}
	const timeout = 500 * time.Millisecond
	s := newServer(t, proc.Config{PIDFile: pf, StopTimeout: timeout, Start: []string{"true"}})
	began := time.Now()
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(began); took < timeout {
		t.Errorf("Stop returned after %s, before the %s SIGTERM timeout: SIGTERM cannot have stopped it", took, timeout)
	}
	for name, p := range map[string]int{"server": pid, "worker": worker} {
		if platform.ProcessRunning(p) {
			t.Errorf("the %s (pid %s) still runs after Stop", name, strconv.Itoa(p))
		}
	}
	if listens(addr) {
		t.Errorf("%s still accepts connections after Stop", addr)
	}
	if _, err := os.Stat(pf); !os.IsNotExist(err) {
		t.Errorf("the pidfile is still there after Stop: %v", err)
	}
}
