package quickstart

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityThroughTheBuiltPrograms drives issue 19 through the built
// programs: the demo shows the advisory on arp 1.3.0 fixed in 1.4.0; notes
// shows the release notes; an advisory added at the repository afterwards
// (upkeep-repo advisory add) reaches the next scan as an exposed module, in
// the report and in the status; the security fix is applied with the rest.
func TestSecurityThroughTheBuiltPrograms(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	conf := filepath.Join(dir, ConfigFile)
	code, out := upkeep(t, "demo", "--dir", dir, "--no-apply")
	if code != 0 || !strings.Contains(out, "SECURITY high: UPK-2026-0031") {
		t.Fatalf("demo --no-apply: exit %d, want the SECURITY marker on arp 1.4.0:\n%s", code, out)
	}
	serve(t, dir)
	if code, out := upkeep(t, "--config", conf, "notes", "arp", "--to", "1.4.0"); code != 0 ||
		!strings.Contains(out, "SECURITY high: UPK-2026-0031 Payment proposals bypass the approver's amount limit (fixed by this change)") ||
		!strings.Contains(out, "== arp 1.4.0 ==") || !strings.Contains(out, "Automatic dunning") {
		t.Errorf("notes arp: exit %d\n%s", code, out)
	}
	r := scanReport(t, conf)
	if len(r.Exposed) != 0 {
		t.Errorf("exposed before the new advisory: %+v", r.Exposed)
	}

	repoDir := filepath.Join(dir, RepoDir)
	if code, out := runProgram(t, bin.repo, "--dir", repoDir, "advisory", "add", "reports", "0.9.0", "--id", "UPK-2026-0042",
		"--severity", "critical", "--title", "Stored XSS in report titles", "--affects", "<0.9.1"); code != 0 {
		t.Fatalf("upkeep-repo advisory add: exit %d\n%s", code, out)
	}
	r = scanReport(t, conf)
	if len(r.Exposed) != 1 || r.Exposed[0].Module != "reports" || r.Exposed[0].Advisory.ID != "UPK-2026-0042" || !r.Exposed[0].FixedIn.IsZero() {
		t.Fatalf("exposed after the advisory: %+v", r.Exposed)
	}
	if code, out := upkeep(t, "--config", conf, "scan"); code != 0 || !strings.Contains(out, "reports 0.9.0: UPK-2026-0042 (critical) Stored XSS in report titles") {
		t.Errorf("scan text lacks the exposed module: exit %d\n%s", code, out)
	}
	if code, out := upkeep(t, "--config", conf, "status"); code != 0 || !strings.Contains(out, "exposed to a known security hole: reports 0.9.0, UPK-2026-0042 (critical)") {
		t.Errorf("status lacks the exposed module: exit %d\n%s", code, out)
	}
	step(t, "--config", conf, "apply", "--yes")
	checkState(t, dir, map[string]string{"core": "2.50.22", "arp": "1.4.0", "localization-es": "1.2.0", "reports": "0.9.0"}, "apply succeeded")
	if r := scanReport(t, conf); len(r.Updates) != 0 || len(r.Exposed) != 1 {
		t.Errorf("after apply: updates %+v, exposed %+v; want arp's fix applied and reports still exposed", r.Updates, r.Exposed)
	}
}
