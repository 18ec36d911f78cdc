//go:build unix

package platform

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestKillGroupReachesChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	cmd := exec.Command("sh", "-c", `sleep 60 & echo $! > "$1"; wait`, "sh", pidFile)
	OwnProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var child int
	for i := 0; i < 200 && child == 0; i++ {
		b, _ := os.ReadFile(pidFile)
		if len(b) > 0 && b[len(b)-1] == '\n' {
			for _, c := range b[:len(b)-1] {
				child = child*10 + int(c-'0')
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if child == 0 || !ProcessAlive(child) {
		t.Fatalf("the grandchild did not start (pid %d)", child)
	}
	if err := KillGroup(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for i := 0; i < 200 && ProcessAlive(child); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if ProcessAlive(child) {
		t.Errorf("grandchild %d survived KillGroup", child)
	}
	if err := KillGroup(cmd.Process.Pid); err != nil {
		t.Errorf("KillGroup of a gone group: %v, want nil", err)
	}
}

func TestLockFileIsExclusiveAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "apply.lock")
	unlock, err := LockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file description: a second open in this
	// process conflicts just as another process would.
	if _, err := LockFile(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if err := exec.Command("flock", "-n", path, "true").Run(); err == nil {
		t.Error("another process took the lock while it was held")
	}
	unlock()
	again, err := LockFile(path)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}

func TestExchangeSwapsFoldersAndSymlinks(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "new"), filepath.Join(dir, "live")
	os.Mkdir(a, 0o755)
	os.WriteFile(filepath.Join(a, "v"), []byte("2"), 0o644)
	os.Symlink("/nonexistent/old", b)
	if err := Exchange(a, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(b, "v")); string(got) != "2" {
		t.Errorf("live holds %q, want the new folder", got)
	}
	if target, err := os.Readlink(a); err != nil || target != "/nonexistent/old" {
		t.Errorf("the old symlink is not where the new folder was: %q, %v", target, err)
	}
	fresh := filepath.Join(dir, "fresh")
	if err := Exchange(b, fresh); err != nil {
		t.Fatalf("exchange onto a missing name: %v", err)
	}
	if _, err := os.Stat(filepath.Join(fresh, "v")); err != nil {
		t.Error(err)
	}
}

func TestFreeBytesAndSameFilesystem(t *testing.T) {
	dir := t.TempDir()
	n, err := FreeBytes(dir)
	if err != nil || n <= 0 {
		t.Fatalf("FreeBytes = %d, %v", n, err)
	}
	same, err := SameFilesystem(dir, filepath.Join(dir, "."))
	if err != nil || !same {
		t.Errorf("SameFilesystem(dir, dir) = %v, %v", same, err)
	}
	if same, _ := SameFilesystem(dir, "/proc"); same {
		t.Error("a temp dir and /proc reported on one filesystem")
	}
}

func TestOwnProcessGroupDiesWithTheAgent(t *testing.T) {
	if os.Getenv("UPKEEP_DEATHSIG_PARENT") != "" {
		cmd := exec.Command("sleep", "60")
		OwnProcessGroup(cmd)
		if err := cmd.Start(); err != nil {
			os.Exit(2)
		}
		os.WriteFile(os.Getenv("UPKEEP_DEATHSIG_PARENT"), []byte(fmt.Sprint(cmd.Process.Pid)), 0o644)
		select {}
	}
	pidFile := filepath.Join(t.TempDir(), "child")
	parent := exec.Command(os.Args[0], "-test.run=^TestOwnProcessGroupDiesWithTheAgent$")
	parent.Env = append(os.Environ(), "UPKEEP_DEATHSIG_PARENT="+pidFile)
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	child := waitPID(t, pidFile)
	parent.Process.Kill() // SIGKILL: the agent dies without cleaning up
	parent.Wait()
	for i := 0; i < 300 && ProcessAlive(child) && !zombie(child); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if ProcessAlive(child) && !zombie(child) {
		KillGroup(child)
		t.Fatalf("the child %d outlived its SIGKILLed parent", child)
	}
}

func waitPID(t *testing.T, path string) int {
	t.Helper()
	for i := 0; i < 500; i++ {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			var pid int
			fmt.Sscan(string(b), &pid)
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the parent never reported its child")
	return 0
}

// zombie reports whether pid has exited and waits for a reaper (Linux only;
// elsewhere it says false).
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}
