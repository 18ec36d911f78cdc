package quickstart

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/scan"
)

// TestScenarioCore250To30 is issue 7's story driven through the built
// programs: the scan tells the patch, the update, the upgrade notice, arp
// 2.0.0 apart and the localization blocker; patches and updates are
// applied; the core upgrade is rehearsed and applied with the blockers
// disabled; the admin extends the localization at the repository and a new
// scan offers that version, blocked by nothing, and it installs on core 3.0.
// Every step checks the demo ERP's database and the agent's history.
func TestScenarioCore250To30(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	conf := filepath.Join(dir, ConfigFile)
	code, out := upkeep(t, "demo", "--dir", dir, "--no-apply")
	if code != 0 {
		t.Fatalf("demo --no-apply: exit %d\n%s", code, out)
	}
	serve(t, dir)

	r := scanReport(t, conf)
	if names(r.Patches) != "core 2.50.21" || names(r.Updates) != "arp 1.4.0, core 2.50.22" || names(r.UpgradeNotices) != "arp 2.0.0" || names(r.Upgrades) != "" {
		t.Errorf("first scan: patches %q, updates %q, upgrades %q, notices %q", names(r.Patches), names(r.Updates), names(r.Upgrades), names(r.UpgradeNotices))
	}
	why := notApplicable(r, "core")
	if !strings.Contains(why, "update core to 2.50.22 first") || !strings.Contains(why, "localization-es 1.2.0") {
		t.Errorf("core 3.0.0 is not applicable because %q, want the upgrade notice and the localization blocker", why)
	}
	checkState(t, dir, map[string]string{"core": "2.50.20", "arp": "1.3.0", "localization-es": "1.2.0", "reports": "0.9.0"}, "")

	step(t, "--config", conf, "apply", "--yes")
	checkState(t, dir, map[string]string{"core": "2.50.22", "arp": "1.4.0", "localization-es": "1.2.0", "reports": "0.9.0"}, "apply succeeded")

	upgrade := []string{"--include-upgrades", "core", "--disable-blockers"}
	step(t, append([]string{"--config", conf, "rehearse"}, upgrade...)...)
	checkState(t, dir, map[string]string{"core": "2.50.22", "arp": "1.4.0", "localization-es": "1.2.0", "reports": "0.9.0"},
		"rehearse succeeded, apply succeeded")
	step(t, append([]string{"--config", conf, "apply", "--yes"}, upgrade...)...)
	checkState(t, dir, map[string]string{"core": "3.0.0"}, "apply succeeded, rehearse succeeded, apply succeeded")

	if got := disabledOffers(scanReport(t, conf)); got != "arp 1.4.0 -> 2.0.0, localization-es 1.2.0 -> none, reports 0.9.0 -> none" {
		t.Errorf("the scan after the upgrade shows the disabled modules as %q, want arp's upgrade offered and nothing for the others", got)
	}
	if code, out := runProgram(t, bin.repo, "--dir", filepath.Join(dir, RepoDir), "extend", "localization-es", "1.2.0", "--depends", "core>=2.50.0,<3.1"); code != 0 || !strings.Contains(out, "1.2.0.1") {
		t.Fatalf("upkeep-repo extend: exit %d\n%s", code, out)
	}
	if got := disabledOffers(scanReport(t, conf)); !strings.Contains(got, "localization-es 1.2.0 -> 1.2.0.1") {
		t.Errorf("the scan after extend shows the disabled modules as %q, want localization-es 1.2.0.1 offered", got)
	}
	if code, out := upkeep(t, "--config", conf, "status"); code != 0 || !strings.Contains(out, "Can be installed again: localization-es 1.2.0.1") {
		t.Errorf("status after extend: exit %d\n%s\nwant the agent's news that localization-es can be installed again", code, out)
	}
	r = scanReport(t, conf, "--install", "localization-es")
	if n := r.NewModules; len(n) != 1 || n[0].Module != "localization-es" || n[0].Version.String() != "1.2.0.1" || n[0].Stage == 0 || len(r.NotApplicable) != 0 {
		t.Errorf("after extend: new modules %+v, not applicable %+v; want localization-es 1.2.0.1 offered and blocked by nothing", n, r.NotApplicable)
	}
	step(t, "--config", conf, "apply", "--install", "localization-es", "--yes")
	checkState(t, dir, map[string]string{"core": "3.0.0", "localization-es": "1.2.0.1"},
		"apply succeeded, apply succeeded, rehearse succeeded, apply succeeded")
	if got := disabledOffers(scanReport(t, conf)); strings.Contains(got, "localization-es") {
		t.Errorf("localization-es is installed again but the scan still lists it as disabled: %q", got)
	}
}

// disabledOffers writes a report's disabled modules as "m v -> offer" (none:
// nothing can be installed again), in order.
func disabledOffers(r *scan.Report) string {
	var out []string
	for _, d := range r.Disabled {
		offer := "none"
		if !d.Offer.Version.IsZero() {
			offer = d.Offer.Version.String()
		}
		out = append(out, d.Module+" "+d.Version.String()+" -> "+offer)
	}
	return strings.Join(out, ", ")
}

// serve runs `upkeep demo --serve` (the repository and the agent) on dir
// until the test ends, then stops it with SIGINT.
func serve(t *testing.T, dir string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "serve.out")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin.upkeep, "demo", "--dir", dir, "--serve", "--no-apply")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Errorf("the serving demo ended with %v", err)
		}
		logf.Close()
	})
	waitFor(t, logPath, "Press Ctrl-C to stop.")
}

// step runs an upkeep command that must succeed.
func step(t *testing.T, args ...string) {
	t.Helper()
	if code, out := upkeep(t, args...); code != 0 {
		t.Fatalf("upkeep %v: exit %d\n%s", args[2:], code, out)
	}
}

func scanReport(t *testing.T, conf string, args ...string) *scan.Report {
	t.Helper()
	code, out := upkeep(t, append([]string{"--config", conf, "scan", "--json"}, args...)...)
	var r scan.Report
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
		t.Fatalf("scan: exit %d, %v\n%s", code, err, out)
	}
	return &r
}

// names is "MODULE VERSION, ..." of candidates, sorted as the report is.
func names(cs []scan.Candidate) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Module+" "+c.To.String())
	}
	return strings.Join(out, ", ")
}

// notApplicable is everything the report says about module's changes that
// are not applicable, as JSON text ("" when none).
func notApplicable(r *scan.Report, module string) string {
	var out []string
	for _, p := range r.NotApplicable {
		if p.Module == module {
			b, _ := json.Marshal(p)
			out = append(out, string(b))
		}
	}
	return strings.Join(out, "\n")
}

// checkState compares the demo ERP's database with want (exactly the
// installed modules) and the agent's history with runs (newest first).
func checkState(t *testing.T, dir string, want map[string]string, runs string) {
	t.Helper()
	got := versions(t, dir)
	if len(got) != len(want) {
		t.Errorf("installed %v, want %v", got, want)
	}
	for m, v := range want {
		if got[m] != v {
			t.Errorf("%s is at %q in the database, want %s (all: %v)", m, got[m], v, got)
		}
	}
	if h := states(history(t, dir)); h != runs {
		t.Errorf("history %q, want %q", h, runs)
	}
}
