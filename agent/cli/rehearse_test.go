package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// TestRehearseThenApplyWhenRequired: with schedule.policy.require_rehearsal,
// apply refuses a plan without a passed rehearsal (exit 10); upkeep
// rehearse passes on a copy and prints the timings and the verdict; then
// the same plan applies.
func TestRehearseThenApplyWhenRequired(t *testing.T) {
	conf := running(t)
	if err := os.WriteFile(conf, []byte(mustRead(t, conf)+"[schedule.policy]\nrequire_rehearsal = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rehearseThenApply(t, conf)
}

// TestRehearseThenApplyWhenRequiredThroughTheAgent is the same with an
// agent running: rehearse and apply go through it (its history records
// them, started by this user), and say and exit the same.
func TestRehearseThenApplyWhenRequiredThroughTheAgent(t *testing.T) {
	conf := running(t)
	c := &api.Client{Path: withAPI(t, conf, "[schedule.policy]\nrequire_rehearsal = true\n")}
	agent := startAgent(t, conf, c)
	rehearseThenApply(t, conf)
	runs, err := c.Runs(ctx, 10)
	if err != nil || len(runs) != 2 || runs[0].Kind != store.KindApply || runs[1].Kind != store.KindRehearse || runs[0].By != who() || runs[1].By != who() {
		t.Errorf("the agent's runs: %+v, %v; want the rehearsal and the apply, started by %s", runs, err, who())
	}
	agent.stop(t)
}

func rehearseThenApply(t *testing.T, conf string) {
	t.Helper()
	code, out, errOut := run(t, "--config", conf, "plan", "--json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	planFile := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(planFile, []byte(out), 0o644)
	if code, _, errOut := run(t, "--config", conf, "apply", planFile, "--yes"); code != ExitNotRehearsed || !strings.Contains(errOut, "upkeep rehearse") {
		t.Fatalf("apply before any rehearsal: exit %d %q, want %d naming upkeep rehearse", code, errOut, ExitNotRehearsed)
	}
	code, out, errOut = run(t, "--config", conf, "rehearse", planFile)
	if code != 0 || !strings.Contains(out, "Verdict: PASSED") || !strings.Contains(out, "production is not touched") {
		t.Fatalf("rehearse: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"rehearse: copy the database", "health checks", "rehearse: stop the copy's server and remove the copy", "settings drift"} {
		if !strings.Contains(out, want) {
			t.Errorf("the rehearsal's report lacks %q:\n%s", want, out)
		}
	}
	// Piped (no terminal), the report's table is the one record of the
	// steps: the progress on stderr does not say them again.
	if n := strings.Count(out+errOut, "rehearse: copy the database"); n != 1 || strings.Contains(errOut, "[1/") {
		t.Errorf("piped, the steps are said %d times (want once, in the report):\n%s%s", n, out, errOut)
	}
	code, out, errOut = run(t, "--config", conf, "apply", planFile, "--yes", "--json")
	var res apply.Result
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.State != store.RunSucceeded {
		t.Fatalf("apply after the rehearsal: exit %d, %+v (%v)\n%s", code, res, err, errOut)
	}
	if _, out, _ = run(t, "--config", conf, "history"); !strings.Contains(out, "rehearse") || !strings.Contains(out, "apply") {
		t.Errorf("history:\n%s", out)
	}
	if code, out, _ := run(t, "--config", conf, "rehearse"); code != 0 || !strings.Contains(out, "Nothing to rehearse") {
		t.Errorf("rehearse when up to date: exit %d %q", code, out)
	}
}

// TestRehearsedExitCodes maps a rehearsal's outcome to its exit code.
func TestRehearsedExitCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
	}{
		{nil, ExitOK},
		{fmt.Errorf("%w: step", apply.ErrRehearsalFailed), ExitRehearsalFailed},
		{fmt.Errorf("%w: held", apply.ErrLocked), ExitLocked},
		{fmt.Errorf("%w: changed", apply.ErrPlanChanged), ExitPlanChanged},
		{fmt.Errorf("%w: step %q: %w", apply.ErrRehearsalFailed, "preflight", apply.ErrPlanChanged), ExitPlanChanged},
	} {
		err := agentCode(c.err)
		var ce cliutil.CodeError
		got := ExitOK
		if errors.As(err, &ce) {
			got = ce.Code
		} else if err != nil {
			got = -1
		}
		if got != c.code {
			t.Errorf("rehearsed(%v): exit %d, want %d", c.err, got, c.code)
		}
	}
}
