package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// withAPI appends an [api] section with a socket in a fresh folder to conf.
func withAPI(t *testing.T, conf, extra string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "upkeep.sock")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("[api]\nsocket = \"" + sock + "\"\n" + extra); err != nil {
		t.Fatal(err)
	}
	return sock
}

// upkeepBin is cmd/upkeep, built once into the folder TestMain removes.
var upkeepBin struct {
	once sync.Once
	path string
	err  error
}

// buildUpkeep returns the upkeep program, built on first use.
func buildUpkeep(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the upkeep binary")
	}
	dir := filepath.Dir(demoERP(t))
	upkeepBin.once.Do(func() {
		upkeepBin.path = filepath.Join(dir, "upkeep")
		args := append(append([]string{"build", "-tags", "upkeep_testhooks"}, raceFlags...), "-o", upkeepBin.path, "github.com/upkeep-erp/upkeep/cmd/upkeep")
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			upkeepBin.err = fmt.Errorf("go build cmd/upkeep: %v\n%s", err, out)
		}
	})
	if upkeepBin.err != nil {
		t.Fatal(upkeepBin.err)
	}
	return upkeepBin.path
}

// waitForAgent polls the agent's status until it answers.
func waitForAgent(t *testing.T, c *api.Client) *api.Status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := c.Status(ctx)
		if err == nil {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not answer within 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRunRefusesAnUnknownKeyNamingIt(t *testing.T) {
	conf := instance(t)
	withAPI(t, conf, "admin_groups = \"adm\"\n")
	code, out, errOut := run(t, "--config", conf, "run")
	if code != ExitUsage || !strings.Contains(errOut, "api.admin_groups") || !strings.Contains(errOut, "check the spelling") {
		t.Errorf("exit %d, stderr %q: want 2 and a message naming api.admin_groups and the fix", code, errOut)
	}
	if !strings.Contains(out, "not starting") {
		t.Errorf("the log does not say the agent is not starting: %q", out)
	}
}

func TestRunRefusesBadAPIValuesNamingTheKey(t *testing.T) {
	for _, tc := range []struct{ section, key string }{
		{"[api]\nsocket = \"upkeep.sock\"\n", "api.socket"},
		{"[api]\ngroup = \"no-such-group-upkeep\"\n", "api.group"},
		{"[api]\nadmin_group = \"no-such-group-upkeep\"\n", "api.admin_group"},
	} {
		conf := instance(t)
		f, _ := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(tc.section)
		f.Close()
		code, _, errOut := run(t, "--config", conf, "run")
		if code == 0 || !strings.Contains(errOut, tc.key) {
			t.Errorf("%s: exit %d, %q; want a failure naming %s", tc.key, code, errOut, tc.key)
		}
	}
}

func TestRunServesTheLocalAPIAndStopsOnSignals(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	sock := withAPI(t, conf, "")
	bin := buildUpkeep(t)
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		logPath := filepath.Join(t.TempDir(), "agent.log")
		logf, _ := os.Create(logPath)
		cmd := exec.Command(bin, "--config", conf, "run")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c := &api.Client{Path: sock}
		st := waitForAgent(t, c)
		if st.ERP != "demo" || st.PID != cmd.Process.Pid || !st.Caller.CanAct {
			t.Errorf("status = %+v", st)
		}
		if i == 0 {
			exerciseTheAgent(t, c)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		werr := waitTimeout(cmd, 30*time.Second)
		logf.Close()
		log, _ := os.ReadFile(logPath)
		if werr != nil || !strings.Contains(string(log), "msg=stopped") {
			t.Errorf("%v: exit %v; want a clean exit logging it stopped:\n%s", sig, werr, log)
		}
		if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: the socket is still there: %v", sig, err)
		}
	}
}

// exerciseTheAgent scans, plans and reads through the running agent.
func exerciseTheAgent(t *testing.T, c *api.Client) {
	t.Helper()
	r, err := c.Scan(ctx, api.ScanRequest{Install: []string{"warehouse"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(r.Report.Updates); r.ID == 0 || !strings.Contains(got, "arp 1.4.0") {
		t.Errorf("scan %d: updates %q, want arp 1.4.0", r.ID, got)
	}
	if last, err := c.Report(ctx); err != nil || last.ID != r.ID {
		t.Errorf("report: %v, %v; want scan %d", last, err, r.ID)
	}
	p, err := c.Plan(ctx, api.PlanRequest{})
	if err != nil || p.Hash == "" {
		t.Fatalf("plan: %+v, %v", p, err)
	}
	mods, err := c.Installed(ctx)
	if err != nil || len(mods) != 4 {
		t.Errorf("installed: %+v, %v", mods, err)
	}
	var ce *api.ConflictError
	if _, err := c.Apply(ctx, api.RunRequest{PlanHash: strings.Repeat("0", 64)}); !errors.As(err, &ce) || !strings.Contains(err.Error(), "the plan changed") {
		t.Errorf("apply of a plan nobody reviewed: %v, want a conflict saying the plan changed", err)
	}
}

func waitTimeout(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return context.DeadlineExceeded
	}
}
