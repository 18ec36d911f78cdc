package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// TestApplyUpdateAll applies with --update-all on the demo ERP: the plan
// and the dry run say every installed module will be updated, the run
// succeeds with the read-back, and the demo ERP's own update log names
// every installed module, those the plan does not change included.
func TestApplyUpdateAll(t *testing.T) {
	conf := running(t)
	const says = "then update every installed module"
	_, plain, _ := run(t, "--config", conf, "plan")
	code, out, errOut := run(t, "--config", conf, "plan", "--update-all")
	if code != 0 || !strings.Contains(out, says) || strings.Contains(plain, says) {
		t.Fatalf("plan --update-all: exit %d\n%s%s\nwithout it:\n%s", code, out, errOut, plain)
	}
	if hash(out) == hash(plain) {
		t.Errorf("--update-all left the plan's hash unchanged:\n%s\n%s", out, plain)
	}
	if code, out, errOut = run(t, "--config", conf, "apply", "--update-all", "--dry-run"); code != 0 || !strings.Contains(out, says) ||
		!strings.Contains(out, "update every installed module") {
		t.Errorf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	_, out, _ = run(t, "--config", conf, "installed", "--json")
	var before []struct{ Module string }
	if err := json.Unmarshal([]byte(out), &before); err != nil || len(before) < 3 {
		t.Fatalf("installed: %v\n%s", err, out)
	}
	code, out, errOut = run(t, "--config", conf, "apply", "--update-all", "--yes", "--json")
	var res apply.Result
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res.State != store.RunSucceeded {
		t.Fatalf("apply --update-all: exit %d, %+v (%v)\n%s", code, res, err, errOut)
	}
	_, out, _ = run(t, "--config", conf, "history", fmt.Sprint(res.Run), "--output")
	if !strings.Contains(out, "read back:") {
		t.Errorf("no read-back in the run's output:\n%s", out)
	}
	for _, m := range before {
		if !strings.Contains(out, m.Module+": updated") && !strings.Contains(out, m.Module+": migrated") {
			t.Errorf("the ERP's update did not name installed module %s:\n%s", m.Module, out)
		}
	}
}

// hash is the "Plan HASH" line of a printed plan.
func hash(out string) string {
	first, _, _ := strings.Cut(out, "\n")
	return first
}

// TestManifestRequiresUpdateAll publishes a core release whose upkeep.toml
// says update_all = true: the plan taking it updates every installed
// module without --update-all, and says which release asks for it.
func TestManifestRequiresUpdateAll(t *testing.T) {
	conf, stop := storyWith(t, nil, sample.Module{Name: "core", Version: "2.50.23", Summary: "ERP core: recomputes every module's data",
		Core: true, DefaultUpgrade: true, UpdateAll: true, Maturity: "confirmed-stable"})
	t.Cleanup(stop)
	code, out, errOut := run(t, "--config", conf, "plan")
	if code != 0 || !strings.Contains(out, "then update every installed module") ||
		!strings.Contains(out, "core 2.50.23 requires the update of every installed module") {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "--config", conf, "plan", "--json")
	var pl scan.Plan
	if err := json.Unmarshal([]byte(out), &pl); code != 0 || err != nil || !pl.UpdateAll {
		t.Fatalf("plan --json: exit %d, update_all %v (%v)\n%s%s", code, pl.UpdateAll, err, out, errOut)
	}
}
