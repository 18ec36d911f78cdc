package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/internal/disktest"
)

// TestAFullDiskFailsClearlyLosesNothingAndTheAgentRecovers puts the
// agent's state folder on a small tmpfs and fills it: a scan that needs to
// cache metadata fails saying the disk is full (not "cannot reach"), an
// apply is refused at preflight when the backup would not fit and when it
// cannot even be journaled, with the ERP untouched, the agent keeps
// answering, and once room is freed the same scan works.
func TestAFullDiskFailsClearlyLosesNothingAndTheAgentRecovers(t *testing.T) {
	conf := running(t)
	mnt := disktest.Mount(t, "8m")
	rewrite(t, conf, []byte(mustRead(t, conf)), "dir = \"state\"", "dir = \""+mnt+"\"")
	c := &api.Client{Path: withAPI(t, conf, "")}
	agent := startAgent(t, conf, c)
	defer agent.stop(t)
	if code, _, errOut := run(t, "--config", conf, "scan"); code != 0 {
		t.Fatalf("scan with room on the disk (the test's premise): exit %d %s", code, errOut)
	}
	before := installedVersions(t, c)
	disktest.Fill(t, mnt, 2<<20)
	code, _, errOut := run(t, "--config", conf, "apply", "--yes")
	if code != ExitError || !strings.Contains(errOut, "disk room") {
		t.Errorf("apply with 2 MiB left: exit %d %q; want %d, refused at the disk-room preflight", code, errOut, ExitError)
	}
	filler := disktest.Fill(t, mnt, 0)

	code, _, errOut = run(t, "--config", conf, "scan", "--install", "warehouse")
	if code != ExitError || !strings.Contains(errOut, "the disk is full") || !strings.Contains(errOut, "free room") || strings.Contains(errOut, "cannot reach") {
		t.Errorf("scan needing new metadata on a full disk: exit %d %q; want %d saying the disk is full and to free room", code, errOut, ExitError)
	}
	code, _, errOut = run(t, "--config", conf, "apply", "--yes")
	if code != ExitError || !strings.Contains(errOut, "is full") || !strings.Contains(errOut, "nothing was started") {
		t.Errorf("apply on a full disk: exit %d %q; want %d saying the disk is full and nothing was started", code, errOut, ExitError)
	}
	if after := installedVersions(t, c); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the ERP changed on a full disk: %v, was %v", after, before)
	}
	if err := erpHealth(t, conf); err != nil {
		t.Errorf("the ERP is not healthy after the refused apply: %v", err)
	}
	if code, out, errOut := run(t, "--config", conf, "status"); code != 0 || !strings.Contains(out, "Agent:") {
		t.Errorf("status on a full disk: exit %d\n%s%s; want the agent answering", code, out, errOut)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "--config", conf, "scan", "--install", "warehouse"); code != 0 || !strings.Contains(out, "warehouse") {
		t.Errorf("the same scan once room was freed: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, "--config", conf, "status"); code != 0 || strings.Contains(out, "is full") {
		t.Errorf("status once room was freed: exit %d\n%s%s; want no note of a full disk", code, out, errOut)
	}
}
