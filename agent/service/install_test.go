package service

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInstallThenUninstallUnderARoot(t *testing.T) {
	for _, system := range []string{Systemd, SysV, Launchd} {
		t.Run(system, func(t *testing.T) {
			root := t.TempDir()
			u, err := Render(system, testSpec())
			if err != nil {
				t.Fatal(err)
			}
			if err := InstallRoot(root, u); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(root, u.Path)
			data, err := os.ReadFile(p)
			fi, _ := os.Stat(p)
			if err != nil || string(data) != u.Body || fi.Mode().Perm() != u.Mode {
				t.Fatalf("installed %s: %v, mode %v; want the rendered body with mode %v", p, err, fi.Mode().Perm(), u.Mode)
			}
			for _, l := range u.Links {
				if target, err := os.Readlink(filepath.Join(root, l)); err != nil || target != u.Path {
					t.Errorf("link %s -> %q (%v), want -> %s", l, target, err, u.Path)
				}
			}
			if err := InstallRoot(root, u); err == nil || !strings.Contains(err.Error(), "uninstall") {
				t.Errorf("second install: %v, want a refusal saying to uninstall first", err)
			}
			if err := UninstallRoot(root, u); err != nil {
				t.Fatal(err)
			}
			left := 0
			filepath.WalkDir(root, func(_ string, d os.DirEntry, _ error) error {
				if !d.IsDir() {
					left++
				}
				return nil
			})
			if left != 0 {
				t.Errorf("%d files left after uninstall", left)
			}
			if err := UninstallRoot(root, u); !errors.Is(err, ErrNotInstalled) {
				t.Errorf("second uninstall: %v, want ErrNotInstalled", err)
			}
		})
	}
}

func TestUninstallKeepsLinksThatAreNotOurs(t *testing.T) {
	root := t.TempDir()
	u, _ := Render(SysV, testSpec())
	if err := InstallRoot(root, u); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(root, u.Links[0])
	os.Remove(other)
	os.Symlink("/etc/init.d/other", other)
	if err := UninstallRoot(root, u); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(other); err != nil || target != "/etc/init.d/other" {
		t.Errorf("another service's link was touched: %q, %v", target, err)
	}
}

// TestSysVScriptStartsStatusesAndStops runs the rendered init script for
// real on a process that stands in for the agent and exits on SIGTERM.
func TestSysVScriptStartsStatusesAndStops(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the script keeps its pid file in /var/run")
	}
	dir := t.TempDir()
	agent := filepath.Join(dir, "agent.sh")
	os.WriteFile(agent, []byte("#!/bin/sh\necho \"args: $*\"\ntrap 'echo terminated; exit 0' TERM\nwhile :; do sleep 0.1; done\n"), 0o755)
	s := DefaultSpec(agent, "/etc/upkeep/upkeep.toml")
	s.Name = "upkeep-test-" + time.Now().Format("150405.000000")
	s.LogFile = filepath.Join(dir, "agent.log")
	u, _ := Render(SysV, s)
	script := filepath.Join(dir, "init")
	os.WriteFile(script, []byte(u.Body), 0o755)
	t.Cleanup(func() { exec.Command(script, "stop").Run(); os.Remove("/var/run/" + s.Name + ".pid") })
	sh := func(verb string) string {
		out, err := exec.Command(script, verb).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", verb, err, out)
		}
		return string(out)
	}
	if out := sh("status"); !strings.HasPrefix(out, "Stopped") {
		t.Errorf("status before start: %q", out)
	}
	sh("start")
	if out := sh("status"); !strings.HasPrefix(out, "Running") {
		t.Errorf("status after start: %q", out)
	}
	if out := sh("stop"); !strings.Contains(out, "Stopped") {
		t.Errorf("stop: %q", out)
	}
	log, _ := os.ReadFile(s.LogFile)
	if !strings.Contains(string(log), "args: run --config /etc/upkeep/upkeep.toml") || !strings.Contains(string(log), "terminated") {
		t.Errorf("the agent's log: %q; want its arguments and a clean SIGTERM exit", log)
	}
}
