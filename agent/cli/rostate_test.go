package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/internal/disktest"
)

// TestReadOnlyStateDirIsAClearError: with the state folder on a read-only
// filesystem, a standalone command says so and names state.dir (exit 2),
// not "no such file" or "cannot reach the central repository".
func TestReadOnlyStateDirIsAClearError(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	state := filepath.Join(filepath.Dir(conf), "state")
	os.MkdirAll(state, 0o755)
	mnt := disktest.Mount(t, "4m")
	if out, err := exec.Command("mount", "--bind", mnt, state).CombinedOutput(); err != nil {
		t.Skipf("bind mount: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", state).Run() })
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", state).CombinedOutput(); err != nil {
		t.Skipf("remount read-only: %v %s", err, out)
	}
	for _, args := range [][]string{{"--no-agent", "scan"}, {"--no-agent", "installed"}, {"--no-agent", "hold", "arp"}} {
		code, _, errOut := run(t, append([]string{"--config", conf}, args...)...)
		t.Logf("%v: exit %d: %s", args, code, errOut)
		if code != ExitUsage || !strings.Contains(errOut, "state.dir") || !strings.Contains(errOut, "read-only") {
			t.Errorf("%v with a read-only state folder: exit %d, want 2 naming state.dir and read-only:\n%s", args, code, errOut)
		}
	}
}
