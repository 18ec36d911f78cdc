package cli

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// agentProcess is a real `upkeep run` process.
type agentProcess struct {
	cmd *exec.Cmd
	log string
}

// startAgent runs `upkeep run` with extra environment and waits until its
// local API answers.
func startAgent(t *testing.T, conf string, c *api.Client, env ...string) *agentProcess {
	t.Helper()
	p := &agentProcess{log: filepath.Join(t.TempDir(), "agent.log")}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(buildUpkeep(t), "--config", conf, "run")
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.Env = append(os.Environ(), env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	waitForAgent(t, c)
	return p
}

// stop ends the agent with SIGTERM and expects a clean exit.
func (p *agentProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := waitTimeout(p.cmd, 60*time.Second); err != nil || strings.Contains(p.logText(), "DATA RACE") {
		t.Errorf("the agent did not stop cleanly: %v\n%s", err, p.logText())
	}
}

func (p *agentProcess) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// watch follows run id until fn says stop (errStop) or the run ends.
func watch(t *testing.T, c *api.Client, id string, fn func(api.RunEvent) bool) []api.RunEvent {
	t.Helper()
	var seen []api.RunEvent
	errStop := errors.New("seen")
	err := c.WatchRun(ctx, id, 0, func(e api.RunEvent) error {
		seen = append(seen, e)
		if fn(e) {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		t.Fatalf("watch run %s: %v (saw %d events)", id, err, len(seen))
	}
	return seen
}

func installedVersions(t *testing.T, c *api.Client) map[string]string {
	t.Helper()
	mods, err := c.Installed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range mods {
		out[m.Module] = m.Version
	}
	return out
}

// erpHealth asks the demo ERP of conf for its own health.
func erpHealth(t *testing.T, conf string) error {
	t.Helper()
	c, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(c.ERP.Demo.URL + "/health")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// TestAgentRecoversAtStartThenAppliesThroughTheAPI: a real agent applies a
// plan posted to its API and is killed with SIGKILL after the new core's
// folder was swapped in; started again, it restores the instance before
// serving, and the history and the events say so. Then an apply through the
// API succeeds and its progress is followed to the end.
func TestAgentRecoversAtStartThenAppliesThroughTheAPI(t *testing.T) {
	conf := running(t)
	c := &api.Client{Path: withAPI(t, conf, "")}
	agent := startAgent(t, conf, c, "UPKEEP_TEST_STOP_AT=6")
	p, err := c.Plan(ctx, api.PlanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Apply(ctx, api.RunRequest{PlanHash: p.Hash})
	if err != nil {
		t.Fatal(err)
	}
	watch(t, c, r.ID, func(e api.RunEvent) bool { return e.Status == "done" && e.Step == "install core 2.50.22" })
	if err := agent.cmd.Process.Kill(); err != nil { // SIGKILL: the agent dies mid-run
		t.Fatal(err)
	}
	agent.cmd.Wait()
	if erpHealth(t, conf) == nil {
		t.Fatal("the ERP's server answers although the run had stopped it")
	}

	agent = startAgent(t, conf, c)
	if err := erpHealth(t, conf); err != nil {
		t.Errorf("after the recovery at start the ERP is not healthy: %v\n%s", err, agent.logText())
	}
	if v := installedVersions(t, c); v["core"] != "2.50.20" || v["arp"] != "1.3.0" {
		t.Errorf("after the recovery: %v, want the versions from before the run", v)
	}
	got, err := c.Run(ctx, r.ID)
	if err != nil || got.State != "restored" || !strings.Contains(got.Error, "the agent stopped during step") {
		t.Errorf("the interrupted run: %+v, %v", got, err)
	}
	if !hasAPIEvent(t, c, store.EventFailedRestored, "left unfinished when the agent stopped") {
		t.Errorf("no event says the run was restored at start:\n%s", agent.logText())
	}
	if code, out, errOut := run(t, "--config", conf, "status"); code != 0 || !strings.Contains(out, "Agent: running") || !strings.Contains(out, "restored") {
		t.Errorf("status through the agent: exit %d\n%s%s", code, out, errOut)
	}

	p, err = c.Plan(ctx, api.PlanRequest{})
	if err != nil || p.Hash == "" {
		t.Fatalf("plan: %v", err)
	}
	r, err = c.Apply(ctx, api.RunRequest{PlanHash: p.Hash})
	if err != nil {
		t.Fatal(err)
	}
	events := watch(t, c, r.ID, func(api.RunEvent) bool { return false })
	if len(events) < 20 || events[len(events)-1].Status != "done" {
		t.Errorf("followed %d events, the last %+v", len(events), events[len(events)-1])
	}
	if got, err := c.Run(ctx, r.ID); err != nil || got.State != "succeeded" {
		t.Errorf("the second run: %+v, %v", got, err)
	}
	if v := installedVersions(t, c); v["core"] != "2.50.22" || v["arp"] != "1.4.0" {
		t.Errorf("after the apply: %v", v)
	}
	agent.stop(t)
	code, out, _ := run(t, "--config", conf, "status")
	if code != 0 || !strings.Contains(out, "Agent: not running") || !strings.Contains(out, "succeeded") || !strings.Contains(out, "Applied core 2.50.22") {
		t.Errorf("status from the store: exit %d\n%s", code, out)
	}
}

func hasAPIEvent(t *testing.T, c *api.Client, kind, text string) bool {
	t.Helper()
	evs, err := c.Events(ctx, api.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind == kind && strings.Contains(e.Summary, text) {
			return true
		}
	}
	return false
}

// TestAgentScheduleAppliesPatchesInItsWindow: the agent's schedule scans at
// start, records the news, and applies the core patch alone (the updates
// wait for a person) inside an always-open maintenance window.
func TestAgentScheduleAppliesPatchesInItsWindow(t *testing.T) {
	conf := running(t)
	c := &api.Client{Path: withAPI(t, conf, "[schedule]\nevery = \"1h\"\njitter = \"1ms\"\nwindows = [\"daily 00:00-24:00\"]\n[schedule.policy]\npatches = \"apply\"\n")}
	agent := startAgent(t, conf, c)
	deadline := time.Now().Add(90 * time.Second)
	for !hasAPIEvent(t, c, store.EventApplied, "") {
		if time.Now().After(deadline) {
			t.Fatalf("the schedule applied nothing within 90s:\n%s", agent.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !hasAPIEvent(t, c, store.EventUpdates, "") {
		t.Error("the scan's news (updates) is not in the event log")
	}
	if v := installedVersions(t, c); v["core"] != "2.50.21" || v["arp"] != "1.3.0" {
		t.Errorf("after the scheduled apply: %v, want the core patch alone", v)
	}
	runs, err := c.Runs(ctx, 5)
	if err != nil || len(runs) != 1 || runs[0].By != "schedule" || runs[0].State != "succeeded" {
		t.Errorf("runs: %+v, %v", runs, err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.LastScan == nil || st.Schedule == nil || st.Schedule.NextScan.IsZero() {
		t.Errorf("status: %+v, %v", st, err)
	}
	if code, out, errOut := run(t, "--config", conf, "status"); code != 0 || !strings.Contains(out, "Next check: ") || !strings.Contains(out, "patches: apply") ||
		!strings.Contains(out, "succeeded  schedule") {
		t.Errorf("status: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "--config", conf, "check-now"); code != 0 || !strings.Contains(out, "Check ") || !strings.Contains(out, "arp") {
		t.Errorf("check-now: exit %d\n%s%s", code, out, errOut)
	}
	agent.stop(t)
	if code, _, errOut := run(t, "--config", conf, "check-now"); code == 0 || !strings.Contains(errOut, "upkeep scan checks without the agent") {
		t.Errorf("check-now without the agent: exit %d %q", code, errOut)
	}
	if code, out, _ := run(t, "--config", conf, "history"); code != 0 || !strings.Contains(out, "succeeded  schedule") {
		t.Errorf("history from the state database: the scheduled run is not shown as started by the schedule: exit %d\n%s", code, out)
	}
}

// TestStatusAfterKillNeedsRecovery: an agent killed (SIGKILL) mid-run
// leaves the run going in the journal; upkeep status (no agent answers)
// says it needs recovery and names upkeep apply --recover-only, which
// restores the instance and exits 1 (it did not finish the change).
func TestStatusAfterKillNeedsRecovery(t *testing.T) {
	conf := running(t)
	c := &api.Client{Path: withAPI(t, conf, "")}
	agent := startAgent(t, conf, c, "UPKEEP_TEST_STOP_AT=6")
	p, err := c.Plan(ctx, api.PlanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Apply(ctx, api.RunRequest{PlanHash: p.Hash})
	if err != nil {
		t.Fatal(err)
	}
	watch(t, c, r.ID, func(e api.RunEvent) bool { return e.Status == "done" && e.Step == "install core 2.50.22" })
	if err := agent.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	agent.cmd.Wait()
	code, out, errOut := run(t, "--config", conf, "status")
	if code != 0 || !strings.Contains(out, "Run "+r.ID+" NEEDS RECOVERY") || !strings.Contains(out, "upkeep apply --recover-only") {
		t.Errorf("status after the kill: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "Run in progress") {
		t.Errorf("status shows the dead run as in progress:\n%s", out)
	}
	code, out, errOut = run(t, "--config", conf, "apply", "--recover-only")
	if code != ExitError || !strings.Contains(out, "failed-restored") || !strings.Contains(errOut, "was not finished") {
		t.Errorf("apply --recover-only after the kill: exit %d, want %d (restored)\n%s%s", code, ExitError, out, errOut)
	}
	if err := erpHealth(t, conf); err != nil {
		t.Errorf("after --recover-only the ERP is not healthy: %v", err)
	}
	if _, out, _ = run(t, "--config", conf, "status"); strings.Contains(out, "NEEDS RECOVERY") {
		t.Errorf("status after the recovery still says so:\n%s", out)
	}
	if code, out, _ := run(t, "--config", conf, "apply", "--recover-only"); code != 0 || !strings.Contains(out, "nothing was left unfinished") {
		t.Errorf("a second --recover-only: exit %d %q", code, out)
	}
}
