package apply_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

// rehearsalSetup is how many steps a rehearsal on a copy runs before the
// plan's own (copy, neutralize, check, start).
const rehearsalSetup = 4

// TestRehearsalKilledIsCleanedUp kills a real upkeep rehearse with SIGKILL
// while the copy's server runs, after the copy's update did its work but
// before it was journaled, and once the copy's server runs the new code;
// the next start (upkeep apply --recover-only) must stop the copy's server,
// remove the copy and record the rehearsal as failed, with production
// untouched throughout.
func TestRehearsalKilledIsCleanedUp(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real upkeep processes")
	}
	base := newFixture(t, rehearsalNotes(false))
	conf := base.config(t)
	planFile, plan := writePlan(t, conf)
	var update, start int
	for i, s := range apply.Steps(plan) {
		switch {
		case strings.HasPrefix(s, "update ") && update == 0:
			update = rehearsalSetup + i + 1
		case strings.HasPrefix(s, "start "):
			start = rehearsalSetup + i + 1
		}
	}
	for _, at := range []string{strconv.Itoa(rehearsalSetup), strconv.Itoa(update) + "!", strconv.Itoa(start)} {
		t.Run(at, func(t *testing.T) {
			t.Parallel() // the cases mostly wait for processes
			killRehearsal(t, base, planFile, at)
		})
	}
}

func killRehearsal(t *testing.T, base *fixture, planFile, at string) {
	f := base.newInstance(t)
	conf := f.config(t)
	before := f.production(t)
	cmd := stopAt(t, at, "--config", conf, "rehearse", planFile)
	copies, _ := filepath.Glob(filepath.Join(f.state, "runs", "*", "copy"))
	if len(copies) != 1 {
		kill(t, cmd)
		t.Fatalf("copies in the state folder: %v, want one", copies)
	}
	run, _ := strconv.ParseInt(filepath.Base(filepath.Dir(copies[0])), 10, 64)
	pid := 0
	if data, err := os.ReadFile(filepath.Join(copies[0], "server.pid")); err == nil {
		pid, _ = proc.ParsePID(data)
	}
	kill(t, cmd)
	if !strings.HasSuffix(at, "!") && (pid == 0 || !platform.ProcessAlive(pid)) {
		t.Fatalf("the copy's server (pid %d) does not outlive the killed upkeep: the test proves nothing", pid)
	}
	code, out, errOut := upkeep(t, "--config", conf, "apply", "--recover-only")
	if code != 0 || !strings.Contains(errOut, "was cleaned up: production was not touched") {
		t.Fatalf("upkeep apply --recover-only: exit %d\n%s%s", code, out, errOut)
	}
	r, err := f.store.Run(ctx, run)
	if err != nil || r.Kind != store.KindRehearse || r.State != store.RunFailedRestored || !strings.Contains(r.Error, "the agent stopped during step") {
		t.Errorf("the killed rehearsal's run: %+v, %v", r, err)
	}
	if pid != 0 {
		checkCopyGone(t, f, run, pid)
	} else if _, err := os.Stat(filepath.Dir(copies[0])); !os.IsNotExist(err) {
		t.Errorf("the rehearsal's folder is still there (%v)", err)
	}
	f.checkUntouched(t, before)
	if p, err := f.store.PendingRun(ctx); p != nil || err != nil {
		t.Errorf("a run is still pending: %+v, %v", p, err)
	}
}
