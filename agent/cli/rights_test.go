package cli

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// asNobody runs the upkeep program (a copy nobody may run) as
// nobody:nogroup and returns its exit code and output.
func asNobody(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"HOME=/", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("run %v as nobody: %v", args, err)
	}
	return 0, string(out)
}

// TestAdminGroupMembersDoWhatTheREADMESays: a member of api.admin_group
// (nobody, in nogroup) holds, releases, overrides, relaxes and lists the
// installed modules through the agent; a user the agent lets only read
// gets exit 1 naming sudo and the admin group, and nothing changes.
func TestAdminGroupMembersDoWhatTheREADMESays(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starting a command as nobody needs root")
	}
	if _, err := user.LookupGroup("nogroup"); err != nil {
		t.Skip("no group nogroup on this machine")
	}
	conf := running(t)
	sock := withAPI(t, conf, "group = \"nogroup\"\nadmin_group = \"nogroup\"\n")
	c := &api.Client{Path: sock}
	agent := startAgent(t, conf, c)
	bin := filepath.Join(publicDir(t), "upkeep")
	if err := os.WriteFile(bin, []byte(mustRead(t, buildUpkeep(t))), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(sock), filepath.Dir(filepath.Dir(sock)), filepath.Dir(conf), filepath.Dir(filepath.Dir(conf))} {
		os.Chmod(d, 0o755)
	}
	os.Chmod(conf, 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"hold", "reports", "--reason", "customised"}, "held: reports  (customised, by nobody"},
		{[]string{"hold"}, "held: reports"},
		{[]string{"unhold", "reports"}, "reports is no longer held"},
		{[]string{"override", "default-upgrade", "arp", "true"}, "arp: default_upgrade = true"},
		{[]string{"relax", "localization-es", "core", "none"}, "relaxed to none enforcement"},
		{[]string{"relax", "localization-es", "core", "inherit"}, "as the repository says again"},
		{[]string{"installed"}, "localization-es"},
	} {
		if code, out := asNobody(t, bin, append([]string{"--config", conf}, tc.args...)...); code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v as a member of the admin group: exit %d, want 0 and %q:\n%s", tc.args, code, tc.want, out)
		}
	}
	if o, err := c.Overrides(ctx); err != nil || o.DefaultUpgrade["arp"] != "true" || len(o.Relaxations) != 0 {
		t.Fatalf("the agent's overrides after the commands: %+v, %v", o, err)
	}

	// The same user, once the admin group is another, may only read.
	agent.stop(t)
	os.WriteFile(conf, []byte(strings.Replace(mustRead(t, conf), `admin_group = "nogroup"`, `admin_group = "root"`, 1)), 0o644)
	startAgent(t, conf, c)
	for _, args := range [][]string{{"hold", "arp"}, {"unhold", "arp"}, {"override", "default-upgrade", "arp", "false"}, {"relax", "localization-es", "core", "none"}} {
		code, out := asNobody(t, bin, append([]string{"--config", conf}, args...)...)
		if code != ExitError || !strings.Contains(out, "nobody may only read") || !strings.Contains(out, "sudo upkeep "+args[0]) || !strings.Contains(out, `admin group "root"`) {
			t.Errorf("%v as a reader: exit %d, want 1 naming sudo and the admin group:\n%s", args, code, out)
		}
	}
	if code, out := asNobody(t, bin, "--config", conf, "hold"); code != 0 {
		t.Errorf("hold (the list) as a reader: exit %d:\n%s", code, out)
	}
	if o, err := c.Overrides(ctx); err != nil || o.DefaultUpgrade["arp"] != "true" {
		t.Errorf("a reader changed the overrides: %+v, %v", o, err)
	}
}
