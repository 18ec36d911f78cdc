package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/demoerp"
)

// TestDisableEnableCommands: on the demo ERP, upkeep disable reports
// leaves ir_module_module.state = 'disabled' (data kept), upkeep installed
// marks it, and upkeep enable reports brings it back; misspelt names and
// the core are refused with exit 2 and nothing changes.
func TestDisableEnableCommands(t *testing.T) {
	conf := running(t)
	dir := filepath.Join(filepath.Dir(conf), "erp")
	state := func() string {
		t.Helper()
		return queryDemo(t, dir, "SELECT state FROM ir_module_module WHERE name = 'reports'")
	}
	for args, want := range map[string]string{
		"disable repots":       "did you mean reports?",
		"disable core":         "core",
		"enable reports --yes": "reports is installed, not disabled",
		"enable repots --yes":  `no module named "repots" is disabled`,
		"disable":              "name the modules to disable",
	} {
		code, out, errOut := run(t, append([]string{"--config", conf}, strings.Fields(args)...)...)
		if code != ExitUsage || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d %q %q; want %d naming %q", args, code, out, errOut, ExitUsage, want)
		}
	}
	if s := state(); s != "installed" {
		t.Fatalf("reports is %q after the refusals", s)
	}
	code, out, errOut := run(t, "--config", conf, "disable", "reports", "--yes")
	if code != 0 || !strings.Contains(out, "succeeded") || !strings.Contains(errOut, "read back: reports disabled") {
		t.Fatalf("disable reports: exit %d\n%s\n%s", code, out, errOut)
	}
	if s := state(); s != demoerp.StateDisabled {
		t.Errorf("after upkeep disable reports the ERP has it %q, want disabled", s)
	}
	if _, out, _ := run(t, "--config", conf, "installed"); !strings.Contains(out, "reports (disabled)") {
		t.Errorf("installed does not mark reports disabled:\n%s", out)
	}
	code, out, errOut = run(t, "--config", conf, "enable", "reports", "--yes")
	if code != 0 || !strings.Contains(out, "succeeded") || !strings.Contains(errOut, "read back: reports at 0.9.0") {
		t.Fatalf("enable reports: exit %d\n%s\n%s", code, out, errOut)
	}
	if s := state(); s != "installed" {
		t.Errorf("after upkeep enable reports the ERP has it %q, want installed", s)
	}
	if _, out, _ := run(t, "--config", conf, "installed"); strings.Contains(out, "(disabled)") || !strings.Contains(out, "reports") {
		t.Errorf("installed after the enable:\n%s", out)
	}
}

// queryDemo reads one value from the demo ERP in dir, read-only.
func queryDemo(t *testing.T, dir, q string) string {
	t.Helper()
	none, err := proc.New(proc.Config{PIDFile: filepath.Join(t.TempDir(), "none.pid"), Start: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := demo.NewWriter(demo.Config{Dir: dir, Server: none}) // only read
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.QueryValue(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}
