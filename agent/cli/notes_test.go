package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestScanMarksSecurityFixesAndNotesShowsThem(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	r := scanJSON(t, "--config", conf, "scan")
	var arp *struct{ fixes, notes int }
	for _, c := range r.Updates {
		if c.Module == "arp" && c.To.String() == "1.4.0" {
			arp = &struct{ fixes, notes int }{len(c.Fixes), len(c.Notes)}
			if len(c.Fixes) != 1 || c.Fixes[0].ID != "UPK-2026-0031" || c.Fixes[0].Severity.String() != "high" {
				t.Errorf("arp 1.4.0 fixes %+v", c.Fixes)
			}
			if len(c.Notes) != 1 || !strings.Contains(c.Notes[0].Notes, "Automatic dunning") {
				t.Errorf("arp 1.4.0 notes %+v", c.Notes)
			}
		}
	}
	if arp == nil {
		t.Fatalf("no arp 1.4.0 update: %+v", r.Updates)
	}
	code, out, errOut := run(t, "--config", conf, "scan")
	if code != 0 || !strings.Contains(out, "SECURITY high: UPK-2026-0031 Advanced Receivables and Payables") {
		t.Errorf("scan text lacks the SECURITY marker (exit %d, %s):\n%s", code, errOut, out)
	}

	code, out, errOut = run(t, "--config", conf, "notes", "core")
	for _, want := range []string{"core 2.50.20 -> 3.0.0 (installed 2.50.20)", "== core 3.0.0 ==", "== core 2.50.22 ==", "== core 2.50.21 ==",
		"Fiscal year lock", "Tax totals are rounded once per invoice"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("notes core (exit %d, %s) lacks %q:\n%s", code, errOut, want, out)
		}
	}
	if strings.Index(out, "== core 3.0.0") > strings.Index(out, "== core 2.50.21") {
		t.Errorf("notes are not newest first:\n%s", out)
	}
	code, out, _ = run(t, "--config", conf, "notes", "core", "--from", "2.50.21", "--to", "2.50.22")
	if code != 0 || !strings.Contains(out, "== core 2.50.22 ==") || strings.Contains(out, "2.50.21 ==") || strings.Contains(out, "3.0.0 ==") {
		t.Errorf("notes core --from 2.50.21 --to 2.50.22 (exit %d):\n%s", code, out)
	}
	code, out, _ = run(t, "--config", conf, "notes", "arp", "--json")
	var mn moduleNotes
	if err := json.Unmarshal([]byte(out), &mn); code != 0 || err != nil || len(mn.Fixes) != 1 || mn.Fixes[0].ID != "UPK-2026-0031" || mn.To.String() != "2.0.0" {
		t.Errorf("notes arp --json (exit %d, %v): %s", code, err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"notes", "arpp"}, `no installed module is named "arpp"; did you mean arp?`},
		{[]string{"notes", "core", "--from", "x"}, "--from: version"},
		{[]string{"notes", "core", "--from", "2.50.0"}, "--from 2.50.0 is below the installed version 2.50.20"},
		{[]string{"notes", "core", "--from", "3.0.0", "--to", "2.50.22"}, "--from 3.0.0 is not below --to 2.50.22"},
	} {
		code, _, errOut := run(t, append([]string{"--config", conf}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
