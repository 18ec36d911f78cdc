package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAFailedAndRestoredVersionIsMarkedInLaterScans: an apply of the demo's
// updates fails at its health checks (core reaches 2.50.22, which a check
// refuses) and is restored; the next scan marks core 2.50.22 "failed here
// on DATE (run 1), restored", in its text and in --json, and leaves a
// version that the run did not try unmarked.
func TestAFailedAndRestoredVersionIsMarkedInLaterScans(t *testing.T) {
	conf := running(t)
	body := mustRead(t, conf) + "[[erp.health]]\nname = \"core stays below 2.50.22\"\n" +
		"sql = \"SELECT count(*) FROM ir_module_module WHERE name = 'core' AND latest_version = '2.50.22'\"\nexpect = \"0\"\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "--config", conf, "apply", "--yes")
	if code == 0 || !strings.Contains(out+errOut, "failed-restored") {
		t.Fatalf("apply with a health check that refuses core 2.50.22: exit %d, want a failure and a restore\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "--config", conf, "scan")
	want := "failed here on " + time.Now().UTC().Format(time.DateOnly) + " (run 1), restored"
	if code != 0 || !regexp.MustCompile(`(?m)^\s*core\s+2\.50\.20\s+2\.50\.22\s.*`+regexp.QuoteMeta(want)).MatchString(out) {
		t.Errorf("scan after the restored apply: exit %d, want core 2.50.22 marked %q\n%s%s", code, want, out, errOut)
	}
	if regexp.MustCompile(`(?m)^\s*core\s+2\.50\.20\s+2\.50\.21\s.*failed here`).MatchString(out) {
		t.Errorf("core 2.50.21, which run 1 did not try, is marked:\n%s", out)
	}
	rep := scanJSON(t, "--config", conf, "scan")
	marked := 0
	for _, c := range append(append(rep.Patches, rep.Updates...), rep.Upgrades...) {
		if c.FailedHere != nil {
			marked++
			if c.FailedHere.Run != 1 || c.FailedHere.Text != want {
				t.Errorf("--json: %s %s failed_here = %+v, want run 1 %q", c.Module, c.To, *c.FailedHere, want)
			}
		}
	}
	if marked == 0 {
		t.Errorf("--json: no candidate carries failed_here")
	}
}
