package quickstart

import (
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/platform"
)

// TestDemoAppliesThenIsUpToDateThenResets: the demo on an empty folder
// patches and updates the instance, exits 0 and leaves nothing running; run
// again it reuses the folder and has nothing to do; --reset starts over.
func TestDemoAppliesThenIsUpToDateThenResets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out := upkeep(t, "demo", "--dir", dir)
	if code != 0 {
		t.Fatalf("first demo: exit %d\n%s", code, out)
	}
	// "Applied core 2.50.22" is the agent's event of the run: the demo's
	// apply went through the agent, not around it.
	for _, want := range []string{"created", "update core to 2.50.22 first", "Run 1", "succeeded", "[13/13] record", "Applied core 2.50.22",
		"upkeep-tray --socket", "--include-upgrades core --disable-blockers", "docs/examples/tryton.toml"} {
		if !strings.Contains(out, want) {
			t.Errorf("the first demo's output lacks %q:\n%s", want, out)
		}
	}
	if v := versions(t, dir); v["core"] != "2.50.22" || v["arp"] != "1.4.0" || v["localization-es"] != "1.2.0" {
		t.Errorf("the demo ERP's database after the demo: %v, want core 2.50.22 and arp 1.4.0", v)
	}
	if got := states(history(t, dir)); got != "apply succeeded" {
		t.Errorf("history after the first demo: %q, want one succeeded apply", got)
	}
	nothingRunning(t, dir)

	code, out = upkeep(t, "demo", "--dir", dir)
	if code != 0 || !strings.Contains(out, "reusing") || !strings.Contains(out, "up to date") {
		t.Fatalf("second demo: exit %d, want it to reuse the folder and say up to date\n%s", code, out)
	}
	if got := states(history(t, dir)); got != "apply succeeded" {
		t.Errorf("history after the second demo: %q, want still the one run", got)
	}

	code, out = upkeep(t, "demo", "--dir", dir, "--reset", "--no-apply")
	if code != 0 || !strings.Contains(out, "Reset:") || strings.Contains(out, "reusing") {
		t.Fatalf("demo --reset --no-apply: exit %d\n%s", code, out)
	}
	if v := versions(t, dir); v["core"] != "2.50.20" || v["arp"] != "1.3.0" {
		t.Errorf("after --reset --no-apply: %v, want the instance as new", v)
	}
	if got := states(history(t, dir)); got != "" {
		t.Errorf("history after --reset: %q, want none", got)
	}
	nothingRunning(t, dir)
}

// nothingRunning checks that no demo ERP server and no agent is left.
func nothingRunning(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, PIDFile)); err == nil {
		t.Errorf("the demo ERP's pidfile is still there: its server was not stopped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := (&api.Client{Path: filepath.Join(dir, SocketFile)}).Status(ctx); err == nil {
		t.Errorf("an agent still answers on the demo's socket")
	}
}

// TestCtrlCStopsEverythingItStarted runs `upkeep demo --serve` as a real
// process, interrupts it while it serves, and checks that the demo ERP's
// server and the agent are gone and every port it used is free.
func TestCtrlCStopsEverythingItStarted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	logPath := filepath.Join(t.TempDir(), "demo.out")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin.upkeep, "demo", "--dir", dir, "--serve", "--no-apply")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	out := waitFor(t, logPath, "Press Ctrl-C to stop.")
	agentPID := pidIn(t, out, `Agent: running \(pid (\d+)\)`)
	erpPID := readPID(t, filepath.Join(dir, PIDFile))
	c, err := config.Load(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{hostOf(t, c.Repository.URL), hostOf(t, c.ERP.Demo.URL)}
	for _, a := range addrs {
		if conn, err := net.Dial("tcp", a); err != nil {
			t.Fatalf("%s does not answer while the demo serves: %v", a, err)
		} else {
			conn.Close()
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		b, _ := os.ReadFile(logPath)
		t.Errorf("after Ctrl-C the demo exited with %v\n%s", err, b)
	}
	for name, pid := range map[string]int{"agent": agentPID, "demo ERP server": erpPID} {
		if platform.ProcessAlive(pid) {
			t.Errorf("the %s (pid %d) survived the demo's Ctrl-C", name, pid)
		}
	}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Errorf("port %s is still taken after Ctrl-C: %v", a, err)
			continue
		}
		ln.Close()
	}
	nothingRunning(t, dir)
}

// waitFor polls the file at path until it contains marker, and returns it.
func waitFor(t *testing.T, path, marker string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), marker) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 2 minutes:\n%s", marker, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pidIn(t *testing.T, out, pattern string) int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in:\n%s", pattern, out)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := proc.ParsePID(data)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func hostOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Host
}
