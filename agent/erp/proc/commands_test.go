//go:build unix

package proc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/platform"
)

func TestCommandsRunToCompletion(t *testing.T) {
	tmp := t.TempDir()
	log, marker, bg := filepath.Join(tmp, "server.log"), filepath.Join(tmp, "state"), filepath.Join(tmp, "bg.pid")
	s, err := proc.New(proc.Config{Log: log,
		// the start command leaves a server behind that holds its output open
		Start: []string{"sh", "-c", `echo started > "$1"; sleep 60 & echo $! > "$2"; echo start-ok`, "sh", marker, bg},
		Stop:  []string{"sh", "-c", `echo stopped > "$1"; echo stop-ok`, "sh", marker}})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if p, err := os.FindProcess(readPID(t, bg)); err == nil {
			p.Kill()
		}
	})
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("Start waited %s for the server it left running", took)
	}
	if data, _ := os.ReadFile(marker); string(data) != "started\n" {
		t.Errorf("after Start the state is %q", data)
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if data, _ := os.ReadFile(marker); string(data) != "stopped\n" {
		t.Errorf("after Stop the state is %q", data)
	}
	if out, _ := os.ReadFile(log); !strings.Contains(string(out), "start-ok") || !strings.Contains(string(out), "stop-ok") {
		t.Errorf("the commands' output did not reach the log:\n%s", out)
	}
}

func TestCommandFailureCarriesItsOutput(t *testing.T) {
	s, err := proc.New(proc.Config{Start: []string{"true"},
		Stop: []string{"sh", "-c", `echo "old line"; echo "service erp: permission denied" >&2; exit 4`}})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Stop(t.Context())
	if err == nil || !strings.Contains(err.Error(), "exit status 4") || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Stop = %v, want the exit status and the output", err)
	}
}

func TestCommandTimeoutKillsItsGroup(t *testing.T) {
	child := filepath.Join(t.TempDir(), "child.pid")
	s, err := proc.New(proc.Config{Start: []string{"true"}, StopTimeout: 300 * time.Millisecond,
		Stop: []string{"sh", "-c", `sleep 60 & echo $! > "$1"; wait`, "sh", child}})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	err = s.Stop(t.Context())
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Stop = %v, want a timeout that killed the command", err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("Stop took %s with a 300ms timeout", took)
	}
	pid := readPID(t, child)
	waitFor(t, "the stop command's child to be killed", func() bool { return !platform.ProcessAlive(pid) })
}
