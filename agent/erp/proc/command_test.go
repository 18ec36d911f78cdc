//go:build unix

package proc_test

import (
	"context"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/internal/testwait"
)

// TestCommandKeepsTheEndOfItsOutput: a failure names the command and
// carries the last non-blank lines, however much came before; the output
// also reaches the writer given.
func TestCommandKeepsTheEndOfItsOutput(t *testing.T) {
	var out strings.Builder
	script := `i=0; while [ $i -lt 5000 ]; do printf 'line %d\n\n' $i; i=$((i+1)); done; printf 'second last\r\n  \nlast'; exit 3`
	err := proc.Command{Argv: []string{"sh", "-c", script}, Output: &out}.Run(context.Background())
	var pe *proc.Error
	if !errors.As(err, &pe) || !pe.Started || pe.Cause != nil {
		t.Fatalf("a failing command: %#v, want a *proc.Error of a started command", err)
	}
	if lines := strings.Split(pe.Tail(3), "\n"); strings.Join(lines, "|") != "line 4999|second last|last" {
		t.Errorf("Tail(3) = %q", lines)
	}
	if !strings.Contains(err.Error(), "sh -c") || !strings.Contains(err.Error(), "exit status 3") || !strings.HasSuffix(err.Error(), "\nlast") {
		t.Errorf("the error %q lacks the command, its status or its last lines", err.Error()[:min(len(err.Error()), 300)])
	}
	if !strings.Contains(out.String(), "line 0\n") || !strings.HasSuffix(out.String(), "last") {
		t.Errorf("the output writer got %d bytes, not the whole output", out.Len())
	}
}

// TestCommandReadsItsTailBackFromAFile: with a file as output, the program
// writes to it directly, and a failure quotes what this run appended.
func TestCommandReadsItsTailBackFromAFile(t *testing.T) {
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "log"), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("an earlier run\n")
	err = proc.Command{Argv: []string{"sh", "-c", "echo this run; exit 1"}, Output: f}.Run(context.Background())
	var pe *proc.Error
	if !errors.As(err, &pe) || pe.Tail(5) != "this run" {
		t.Errorf("a failure written to a file: %v; want the tail of this run only", err)
	}
}

// TestCommandKillsItsWholeGroupWhenTheContextEnds: a child the program
// started dies with it; the error carries the context's cause.
func TestCommandKillsItsWholeGroupWhenTheContextEnds(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := proc.Command{Argv: []string{"sh", "-c", "sleep 60 & echo $! > " + pidFile + "; wait"}}.Run(ctx)
	var pe *proc.Error
	if !errors.As(err, &pe) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "its process group was killed") {
		t.Fatalf("a command past its deadline: %v", err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("Run returned after %s", took)
	}
	data, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if !testwait.Until(5*time.Second, func() bool { return pid > 0 && syscall.Kill(pid, 0) != nil }) {
		t.Errorf("the child %d outlived its killed group", pid)
	}
}

// TestCommandThatCannotStart: a missing program is an error of a command
// that never started, matching exec's.
func TestCommandThatCannotStart(t *testing.T) {
	err := proc.Command{Argv: []string{filepath.Join(t.TempDir(), "none")}}.Run(context.Background())
	var pe *proc.Error
	if !errors.As(err, &pe) || pe.Started || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing program: %#v", err)
	}
}

// TestCommandRunsAsTheConfiguredUser: as root, User runs the program as
// that user, with their home; an unknown user is refused before anything runs.
func TestCommandRunsAsTheConfiguredUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching user needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody here")
	}
	var out strings.Builder
	err = proc.Command{Argv: []string{"sh", "-c", `echo "$(id -u) $HOME $USER"`}, User: "nobody", Output: &out, Dir: "/"}.Run(context.Background())
	if want := nobody.Uid + " " + nobody.HomeDir + " nobody\n"; err != nil || out.String() != want {
		t.Errorf("as nobody: %q, %v; want %q", out.String(), err, want)
	}
	if err := (proc.Command{Argv: []string{"true"}, User: "no-such-user-here"}).Run(context.Background()); err == nil || !strings.Contains(err.Error(), "no-such-user-here") {
		t.Errorf("an unknown user: %v, want an error naming them", err)
	}
}
