package service

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func testSpec() Spec {
	s := DefaultSpec("/usr/bin/upkeep", "/etc/upkeep/upkeep.toml")
	s.User, s.Group = "upkeep", "upkeep"
	return s
}

func TestSystemdUnit(t *testing.T) {
	u, err := Render(Systemd, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/etc/systemd/system/upkeep.service" || u.Mode != 0o644 || len(u.Links) != 0 {
		t.Errorf("unit %s mode %v links %v", u.Path, u.Mode, u.Links)
	}
	for _, line := range []string{
		"ExecStart=/usr/bin/upkeep run --config /etc/upkeep/upkeep.toml",
		"Restart=on-failure",
		"After=network-online.target postgresql.service",
		"Wants=network-online.target",
		"User=upkeep",
		"Group=upkeep",
		"KillMode=process",
		"WantedBy=multi-user.target",
	} {
		if !hasLine(u.Body, line) {
			t.Errorf("the unit lacks %q:\n%s", line, u.Body)
		}
	}
	s := DefaultSpec("/opt/up keep/upkeep", "/etc/50%/up\"keep.toml")
	s.Env = map[string]string{"UPKEEP_X": "a b"}
	u, _ = Render(Systemd, s)
	for _, line := range []string{`ExecStart="/opt/up keep/upkeep" run --config "/etc/50%%/up\"keep.toml"`, `Environment="UPKEEP_X=a b"`} {
		if !hasLine(u.Body, line) {
			t.Errorf("quoting: the unit lacks %q:\n%s", line, u.Body)
		}
	}
	if strings.Contains(u.Body, "User=") || strings.Contains(u.Body, "Group=") {
		t.Errorf("no user given, yet:\n%s", u.Body)
	}
}

// TestSystemdAcceptsTheUnit has systemd itself read the unit offline.
func TestSystemdAcceptsTheUnit(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	s := DefaultSpec("/bin/true", "/etc/upkeep/upkeep.toml")
	s.User, s.Group = "root", "root"
	u, _ := Render(Systemd, s)
	dir := t.TempDir()
	p := filepath.Join(dir, "upkeep-verify.service")
	if err := os.WriteFile(p, []byte(u.Body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", p).CombinedOutput()
	if err != nil || strings.Contains(string(out), p) {
		t.Errorf("systemd-analyze verify: %v\n%s\n%s", err, out, u.Body)
	}
}

func TestSysVScript(t *testing.T) {
	u, err := Render(SysV, testSpec())
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/etc/init.d/upkeep" || u.Mode != 0o755 || len(u.Links) != 7 || u.Links[0] != "/etc/rc2.d/S50upkeep" {
		t.Errorf("script %s mode %v links %v", u.Path, u.Mode, u.Links)
	}
	for _, line := range []string{
		"\texec setpriv --reuid='upkeep' --init-groups --regid='upkeep' -- '/usr/bin/upkeep' 'run' '--config' '/etc/upkeep/upkeep.toml'",
		"# Should-Start:      $network postgresql",
		"log='/var/log/upkeep.log'",
	} {
		if !hasLine(u.Body, line) {
			t.Errorf("the script lacks %q:\n%s", line, u.Body)
		}
	}
	p := filepath.Join(t.TempDir(), "upkeep")
	os.WriteFile(p, []byte(u.Body), 0o755)
	if out, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
		t.Errorf("sh -n: %v\n%s", err, out)
	}
}

func TestLaunchdPlist(t *testing.T) {
	s := testSpec()
	s.ConfigPath = "/etc/upkeep/a&b.toml"
	u, err := Render(Launchd, s)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/Library/LaunchDaemons/upkeep.plist" {
		t.Errorf("path %s", u.Path)
	}
	var doc struct {
		Dict struct {
			Keys    []string `xml:"key"`
			Strings []string `xml:"string"`
			Array   struct {
				Strings []string `xml:"string"`
			} `xml:"array"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(u.Body), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, u.Body)
	}
	if got := strings.Join(doc.Dict.Array.Strings, " "); got != "/usr/bin/upkeep run --config /etc/upkeep/a&b.toml" {
		t.Errorf("ProgramArguments = %q", got)
	}
	keys := strings.Join(doc.Dict.Keys, " ")
	for _, k := range []string{"Label", "RunAtLoad", "KeepAlive", "UserName", "GroupName", "StandardOutPath"} {
		if !strings.Contains(keys, k) {
			t.Errorf("the plist lacks %s (keys %s)", k, keys)
		}
	}
}

func TestRenderRefusesWhatNoInitSystemCouldRead(t *testing.T) {
	for name, s := range map[string]Spec{
		"relative executable": DefaultSpec("upkeep", "/etc/upkeep/upkeep.toml"),
		"relative config":     DefaultSpec("/usr/bin/upkeep", "upkeep.toml"),
		"newline":             DefaultSpec("/usr/bin/upkeep", "/etc/upkeep/x\nExecStartPre=/bin/rm"),
		"template action":     DefaultSpec("/usr/bin/{{Path}}", "/etc/upkeep/upkeep.toml"),
	} {
		if _, err := Render(Systemd, s); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
	if _, err := Render("windows-service", testSpec()); err == nil || !strings.Contains(err.Error(), "live system") {
		t.Errorf("windows: %v, want an error saying to install on the live system", err)
	}
}

func hasLine(body, line string) bool {
	for _, l := range strings.Split(body, "\n") {
		if l == line {
			return true
		}
	}
	return false
}
