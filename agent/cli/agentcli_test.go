package cli

import (
	"bufio"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// clientConfig is conf with an ERP folder and a state folder that do not
// exist, and the same agent socket: a command that succeeds with it went
// through the agent, since standalone it cannot read the ERP.
func clientConfig(t *testing.T, conf string) string {
	t.Helper()
	body := strings.Replace(mustRead(t, conf), `demo.dir = "erp"`, `demo.dir = "nothing-here"`, 1)
	body = strings.Replace(body, "[state]\ndir = \"state\"", "[state]\ndir = \"cli-state\"", 1)
	p := filepath.Join(filepath.Dir(conf), "client.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScanPlanApplyHistoryGoThroughTheAgent: with an agent running, scan,
// plan, apply and history work through its API (a configuration whose ERP
// cannot be read standalone works), apply shows the run's steps and its
// result as the standalone apply does, and the agent's journal records
// who started the run. --no-agent works standalone again.
func TestScanPlanApplyHistoryGoThroughTheAgent(t *testing.T) {
	conf := running(t)
	c := &api.Client{Path: withAPI(t, conf, "")}
	agent := startAgent(t, conf, c)
	cli := clientConfig(t, conf)
	if code, _, errOut := run(t, "--config", cli, "--no-agent", "scan"); code != ExitERP {
		t.Fatalf("scan standalone with an unreadable ERP: exit %d %q, want %d (the test's premise)", code, errOut, ExitERP)
	}
	if code, out, errOut := run(t, "--config", cli, "scan"); code != 0 || !strings.Contains(out, "Patches (1)") || !strings.Contains(out, "Updates (2)") {
		t.Errorf("scan through the agent: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "--config", cli, "plan"); code != 0 || !strings.Contains(out, "Plan ") || !strings.Contains(out, "core") {
		t.Errorf("plan through the agent: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := run(t, "--config", cli, "apply", "--yes")
	if code != 0 {
		t.Fatalf("apply through the agent: exit %d\n%s%s\nagent:\n%s", code, out, errOut, agent.logText())
	}
	for _, want := range []string{"[1/13] preflight", "[13/13] record the new versions", "health checks  ok (", "settings drift: 0 added, 0 removed, 2 changed"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("apply's progress lacks %q:\n%s", want, errOut)
		}
	}
	for _, want := range []string{"Plan ", "Run 1 (plan ", "): succeeded, downtime ", "~ settings/fiscal_lock: value=off -> value=on"} {
		if !strings.Contains(out, want) {
			t.Errorf("apply's output lacks %q:\n%s", want, out)
		}
	}
	if v := installedVersions(t, c); v["core"] != "2.50.22" || v["arp"] != "1.4.0" {
		t.Errorf("after the apply: %v", v)
	}
	if code, out, _ := run(t, "--config", cli, "history"); code != 0 || !strings.Contains(out, "BY") || !strings.Contains(out, "succeeded  "+who()) {
		t.Errorf("history through the agent: exit %d\n%s", code, out)
	}
	code, out, errOut = run(t, "--config", cli, "history", "1")
	if code != 0 || !strings.Contains(out, "Run 1: apply succeeded") || !strings.Contains(out, "by "+who()) ||
		!strings.Contains(out, "install core 2.50.22") || !strings.Contains(out, "~ arp_settings/1") {
		t.Errorf("history 1 through the agent: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, "--config", cli, "--no-agent", "status"); code != 0 || !strings.Contains(out, "Agent: not asked (--no-agent)") {
		t.Errorf("status --no-agent: exit %d\n%s", code, out)
	}
	agent.stop(t)
	if by := journaledBy(t, conf, 1); by != who() {
		t.Errorf("the journal says run 1 was started by %q, want %q", by, who())
	}
	if code, out, _ := run(t, "--config", conf, "history"); code != 0 || !strings.Contains(out, "succeeded  "+who()) {
		t.Errorf("history from the state database: exit %d\n%s", code, out)
	}
}

// journaledBy is who the state database of conf says started run id.
func journaledBy(t *testing.T, conf string, id int64) string {
	t.Helper()
	c, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(c.State.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r.By
}

// TestApplyThroughTheAgentWhileItRunsAnotherAndCtrlC: the agent's run is
// held after preflight. A second apply exits 7 naming the run; an apply
// command following the run (a real process) stops at Ctrl-C, says the run
// goes on and how to follow it, and the run is still going in the agent.
func TestApplyThroughTheAgentWhileItRunsAnotherAndCtrlC(t *testing.T) {
	conf := running(t)
	c := &api.Client{Path: withAPI(t, conf, "")}
	startAgent(t, conf, c, "UPKEEP_TEST_STOP_AT=1")
	cmd := exec.Command(buildUpkeep(t), "--config", conf, "apply", "--yes")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	var seen []string
	for lines.Scan() && !strings.Contains(lines.Text(), "[1/13] preflight: lock, plan, disk room, ERP health  ok") {
		seen = append(seen, lines.Text())
	}
	runs, err := c.Runs(ctx, 5)
	if err != nil || len(runs) != 1 || runs[0].State != "running" || runs[0].By != who() {
		t.Fatalf("the agent's runs once preflight passed: %+v, %v\n%s", runs, err, strings.Join(seen, "\n"))
	}
	id := runs[0].ID

	code, _, errOut := run(t, "--config", conf, "apply", "--yes")
	if code != ExitLocked || !strings.Contains(errOut, "another apply is running") || !strings.Contains(errOut, "run "+id) {
		t.Errorf("a second apply: exit %d %q; want %d naming run %s", code, errOut, ExitLocked, id)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitError || !strings.Contains(string(rest), "goes on in the agent") ||
		!strings.Contains(string(rest), "upkeep history "+id) {
		t.Errorf("apply after Ctrl-C: %v\n%s", err, rest)
	}
	if r, err := c.Run(ctx, id); err != nil || r.State != "running" {
		t.Errorf("run %s after the command stopped: %+v, %v; want it still running in the agent", id, r, err)
	}
}

// TestReadOnlyCallerIsNotSentStandalone: a user who may connect to the
// agent but not act (a real process as nobody) gets a clear refusal from
// apply and scan, naming sudo and the admin group, and no standalone run;
// plan, which only reads, works through the agent.
func TestReadOnlyCallerIsNotSentStandalone(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starting a command as nobody needs root")
	}
	if _, err := user.LookupGroup("nogroup"); err != nil {
		t.Skip("no group nogroup on this machine")
	}
	conf := running(t)
	sock := withAPI(t, conf, "group = \"nogroup\"\n")
	c := &api.Client{Path: sock}
	startAgent(t, conf, c)
	pub := publicDir(t)
	bin := filepath.Join(pub, "upkeep")
	if err := os.WriteFile(bin, []byte(mustRead(t, buildUpkeep(t))), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(sock), filepath.Dir(filepath.Dir(sock)), filepath.Dir(conf), filepath.Dir(filepath.Dir(conf))} {
		os.Chmod(d, 0o755)
	}
	os.Chmod(conf, 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"apply", "--yes"}, ExitError, []string{"upkeep apply acts through the running agent", "nobody may only read", "sudo", "api.admin_group"}},
		{[]string{"scan"}, ExitError, []string{"upkeep scan", "nobody may only read"}},
		{[]string{"plan"}, 0, []string{"Plan "}},
	} {
		cmd := exec.Command(bin, append([]string{"--config", conf}, tc.args...)...)
		cmd.Env = []string{"HOME=/", "PATH=/usr/bin:/bin"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		for _, w := range tc.want {
			if code != tc.code || !strings.Contains(string(out), w) {
				t.Errorf("%v as nobody: exit %d (%v), want %d and %q:\n%s", tc.args, code, err, tc.code, w, out)
				break
			}
		}
	}
	if runs, err := c.Runs(ctx, 5); err != nil || len(runs) != 0 {
		t.Errorf("runs after the refusals: %+v, %v; want none", runs, err)
	}
}

// publicDir is a temporary folder everyone may read and enter.
func publicDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "upkeep-cli-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAgentErrorsGetTheDocumentedExitCodes maps the agent's typed errors
// and the way runs end to docs/CLI.md's exit codes.
func TestAgentErrorsGetTheDocumentedExitCodes(t *testing.T) {
	restoreFailed := &api.Run{ID: "4", Kind: "apply", State: store.RunRestoreFailed, Error: "disk full; restore: boom"}
	changed := &api.Run{ID: "5", Kind: "apply", State: "failed", Step: "preflight", Error: apply.ErrPlanChanged.Error() + " (plan a, now b)"}
	failed := &api.Run{ID: "6", Kind: "rehearse", State: "restored", Step: "update core", Error: "exit 1"}
	for _, tc := range []struct {
		name string
		err  error
		code int
		want string
	}{
		{"another run", agentCode(&api.ConflictError{Message: "another apply is running (started by bob)", RunID: "12"}), ExitLocked, "run 12"},
		{"the lock", agentCode(&api.ConflictError{Message: "another apply is running"}), ExitLocked, "another apply"},
		{"plan changed", agentCode(&api.ConflictError{Message: "the plan changed since you reviewed it", Code: api.CodePlanChanged}), ExitPlanChanged, "plan changed"},
		{"read-only", agentCode(&api.AccessDeniedError{Message: "ann may only read here: run the command as root (sudo)"}), ExitError, "sudo"},
		{"not available", agentCode(&api.NotAvailableError{Message: "apply is not available"}), ExitError, "--no-agent"},
		{"may not act", mayNotAct("apply", "ann", "upkeep-admin", nil), ExitError, `add ann to the agent's admin group "upkeep-admin"`},
		{"cannot connect", mayNotAct("apply", "", "", &api.AccessDeniedError{Message: "you may not open /run/upkeep/upkeep.sock"}), ExitError, "sudo upkeep apply"},
		{"restore failed", runOutcome(restoreFailed), ExitRestoreFailed, "boom"},
		{"preflight found the plan changed", runOutcome(changed), ExitPlanChanged, "preflight"},
		{"rehearsal failed", rehearsalOutcome(failed), ExitRehearsalFailed, "update core"},
	} {
		var ce cliutil.CodeError
		if !errors.As(tc.err, &ce) || ce.Code != tc.code || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v (code %d), want exit %d mentioning %q", tc.name, tc.err, ce.Code, tc.code, tc.want)
		}
	}
	if err := runOutcome(&api.Run{State: store.RunSucceeded}); err != nil {
		t.Errorf("a run that succeeded: %v", err)
	}
}

// TestCancelStopsTheAgentsRunWhileItIsSafe: the agent's apply waits for its
// archives (the repository holds them), so it is before its point of no
// return. upkeep cancel, with no run, says there is nothing to cancel; with
// one, stops it and waits for its end: cancelled, the ERP as it was and
// healthy; the apply command that followed it says so; a second cancel
// says the run has ended.
func TestCancelStopsTheAgentsRunWhileItIsSafe(t *testing.T) {
	hold := make(chan struct{})
	conf := runningHeld(t, hold)
	t.Cleanup(func() { close(hold) }) // before the repository stops
	c := &api.Client{Path: withAPI(t, conf, "")}
	startAgent(t, conf, c)
	if code, _, errOut := run(t, "--config", conf, "cancel"); code != ExitError || !strings.Contains(errOut, "nothing to cancel") {
		t.Errorf("cancel with no run: exit %d %q", code, errOut)
	}
	before := installedVersions(t, c)
	applyCmd := exec.Command(buildUpkeep(t), "--config", conf, "apply", "--yes")
	var applyOut strings.Builder
	applyCmd.Stdout, applyCmd.Stderr = &applyOut, &applyOut
	if err := applyCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { applyCmd.Process.Kill(); applyCmd.Wait() })
	id := downloading(t, c)
	if code, out, _ := run(t, "--config", conf, "status"); code != 0 || !strings.Contains(out, "Run in progress: apply "+id) || !strings.Contains(out, "upkeep cancel") {
		t.Errorf("status while the run waits: exit %d\n%s", code, out)
	}

	code, out, errOut := run(t, "--config", conf, "cancel")
	if code != 0 || !strings.Contains(out, "Run "+id+" (apply) stopped: cancelled") || !strings.Contains(out, "before the ERP was changed") {
		t.Fatalf("cancel: exit %d\n%s%s", code, out, errOut)
	}
	err := waitTimeout(applyCmd, 60*time.Second)
	if err == nil || !strings.Contains(applyOut.String(), "apply "+id+" was cancelled") || !strings.Contains(applyOut.String(), "nothing changed") {
		t.Errorf("the apply command that followed the run: %v\n%s", err, applyOut.String())
	}
	if after := installedVersions(t, c); !maps.Equal(after, before) {
		t.Errorf("installed after the cancel: %v, before %v", after, before)
	}
	if err := erpHealth(t, conf); err != nil {
		t.Errorf("the ERP after the cancel: %v", err)
	}
	if code, _, errOut := run(t, "--config", conf, "cancel", id); code != ExitError || !strings.Contains(errOut, "has ended (cancelled)") {
		t.Errorf("cancelling the ended run: exit %d %q", code, errOut)
	}
}

// downloading waits until the agent runs an apply that has started its
// download, and returns the run's id.
func downloading(t *testing.T, c *api.Client) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		st, err := c.Status(ctx)
		if err == nil && st.Running != nil && strings.HasPrefix(st.Running.Step, "download") {
			return st.Running.ID
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the agent's apply did not reach its download")
	return ""
}
