package platform

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestProcessStartTime(t *testing.T) {
	self, err := ProcessStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if self.After(time.Now()) || time.Since(self) > time.Hour {
		t.Errorf("this test process started at %v, now is %v", self, time.Now())
	}
	before := time.Now()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep program: %v", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	child, err := ProcessStartTime(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if child.Before(before.Add(-time.Second)) || child.After(time.Now().Add(time.Second)) {
		t.Errorf("a child started at %v reports %v", before, child)
	}
	if !child.After(self) {
		t.Errorf("the child (%v) did not start after its parent (%v)", child, self)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := ProcessStartTime(cmd.Process.Pid); err == nil {
		t.Error("ProcessStartTime of a reaped process succeeded")
	}
}

func TestProcessToken(t *testing.T) {
	a, err := ProcessToken(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b, err := ProcessToken(os.Getpid()); err != nil || a != b || a == "" {
		t.Fatalf("two tokens of this process: %q, %q, %v", a, b, err)
	}
	var tokens []string
	for range 2 {
		cmd := exec.Command("sleep", "30")
		if err := cmd.Start(); err != nil {
			t.Skipf("no sleep program: %v", err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		tok, err := ProcessToken(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
		time.Sleep(30 * time.Millisecond) // more than a clock tick apart
	}
	if tokens[0] == tokens[1] {
		t.Errorf("two processes started 30ms apart share the token %q", tokens[0])
	}
}
