package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/service"
)

func TestServiceInstallIntoAStagingRoot(t *testing.T) {
	conf := instance(t)
	root := t.TempDir()
	args := []string{"--config", conf, "service", "install", "--root", root, "--system", service.Systemd,
		"--executable", "/usr/bin/upkeep", "--user", "upkeep", "--group", "upkeep"}
	if code, _, errOut := run(t, args...); code != 0 {
		t.Fatalf("install --root: exit %d: %s", code, errOut)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/upkeep.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"ExecStart=/usr/bin/upkeep run --config " + conf, "User=upkeep", "Group=upkeep", "Restart=on-failure"} {
		if !strings.Contains(string(unit), line+"\n") {
			t.Errorf("the unit lacks %q:\n%s", line, unit)
		}
	}
	if code, _, errOut := run(t, "--config", conf, "service", "uninstall", "--root", root, "--system", service.Systemd); code != 0 {
		t.Fatalf("uninstall --root: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/systemd/system/upkeep.service")); err == nil {
		t.Error("the unit is still there")
	}
	if code, _, errOut := run(t, "--config", conf, "service", "install", "--root", root, "--system", "upstart"); code != ExitUsage || !strings.Contains(errOut, "linux-systemd") {
		t.Errorf("unknown system: exit %d, %q; want 2 naming the systems known", code, errOut)
	}
}

func TestServiceInstallRefusesABadConfiguration(t *testing.T) {
	conf := instance(t)
	withAPI(t, conf, "socket_mode = 1\n")
	code, _, errOut := run(t, "--config", conf, "service", "install", "--name", "upkeep-never-installed")
	if code != ExitUsage || !strings.Contains(errOut, "api.socket_mode") {
		t.Errorf("exit %d, %q: want 2 naming api.socket_mode", code, errOut)
	}
}

// TestServiceOnThisMachine installs, starts, stops and uninstalls a real
// service through kardianos/service with the SysV init system this
// machine has (no systemd as PID 1), under a name of its own.
func TestServiceOnThisMachine(t *testing.T) {
	if os.Geteuid() != 0 || service.Platform() != service.SysV {
		t.Skipf("needs root and SysV init (this machine: %s)", service.Platform())
	}
	if _, err := exec.LookPath("service"); err != nil {
		t.Skip("no service command")
	}
	conf := instance(t)
	sock := withAPI(t, conf, "")
	bin := buildUpkeep(t)
	name := "upkeep-test-" + strconv.Itoa(os.Getpid())
	upkeep := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append([]string{"--config", conf, "--json", "service"}, append(args, "--name", name)...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() {
		upkeep("stop")
		upkeep("uninstall")
		os.Remove("/var/log/" + name + ".log")
	})
	if out, err := upkeep("install"); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	want, _ := service.Render(service.SysV, withName(service.DefaultSpec(bin, conf), name))
	if got, err := os.ReadFile("/etc/init.d/" + name); err != nil || string(got) != want.Body {
		t.Fatalf("kardianos wrote %v:\n%s\nwant what Render gives:\n%s", err, got, want.Body)
	}
	if out, err := upkeep("start"); err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	waitForAgent(t, &api.Client{Path: sock})
	if st := serviceState(t, upkeep); st.Status != "running" || st.Agent == nil || st.Agent.Config != conf {
		t.Errorf("status after start: %+v", st)
	}
	if out, err := upkeep("stop"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if st := serviceState(t, upkeep); st.Status != "stopped" {
		t.Errorf("status after stop: %+v", st)
	}
	if out, err := upkeep("uninstall"); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	for _, p := range append([]string{"/etc/init.d/" + name}, want.Links...) {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is still there after uninstall", p)
		}
	}
}

func withName(s service.Spec, name string) service.Spec {
	s.Name = name
	return s
}

func serviceState(t *testing.T, upkeep func(...string) (string, error)) serviceStatus {
	t.Helper()
	out, err := upkeep("status")
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	var st serviceStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, out)
	}
	return st
}
