package backend_test

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// TestScanFailuresCarryTheirCauseOverTheAPI: a scan, a plan or an apply
// (which plans again) that fails because the ERP cannot be read, the
// repository cannot be reached or the configuration cannot be used comes
// back through the API as an api.ScanError whose Code names the cause:
// what the command line turns into exit 4, 3 or 2 as standalone.
func TestScanFailuresCarryTheirCauseOverTheAPI(t *testing.T) {
	a := newAgent(t)
	c := a.serve(t)
	p, err := c.Plan(ctx, api.PlanRequest{})
	if err != nil {
		t.Fatalf("plan with the repository and the ERP readable (the test's premise): %v", err)
	}
	good := mustReadFile(t, a.conf)
	reconfigure(t, a, strings.Replace(good, `demo.dir = "erp"`, `demo.dir = "no-erp-here"`, 1))
	wantScanError(t, "scan, ERP unreadable", second(c.Scan(ctx, api.ScanRequest{})), api.CodeERP, "no-erp-here")
	wantScanError(t, "installed, ERP unreadable", second(c.Installed(ctx)), api.CodeERP, "no-erp-here")
	down := regexp.MustCompile(`(\[repository\]\nurl = )"[^"]*"`).ReplaceAllString(good, `$1"http://127.0.0.1:1"`)
	if down == good {
		t.Fatal("the fixture's configuration has no [repository] url to replace")
	}
	reconfigure(t, a, down)
	wantScanError(t, "scan, repository down", second(c.Scan(ctx, api.ScanRequest{})), api.CodeRepository, "cannot reach")
	wantScanError(t, "plan, repository down", second(c.Plan(ctx, api.PlanRequest{})), api.CodeRepository, "cannot reach")
	wantScanError(t, "apply, repository down", second(c.Apply(ctx, api.RunRequest{PlanHash: p.Hash})), api.CodeRepository, "cannot reach")
	if v := a.versions(t); v["core"] != "2.50.20" {
		t.Errorf("a refused apply changed the ERP: %v", v)
	}
	b, _ := newBackend(t) // its trusted_root names a file that does not exist
	wantScanError(t, "scan, no trusted root", second(serveBackend(t, b).Scan(ctx, api.ScanRequest{})), api.CodeConfig, "trusted_root")
}

// reconfigure writes body as the agent's configuration file and reloads it.
func reconfigure(t *testing.T, a *agent, body string) {
	t.Helper()
	if err := os.WriteFile(a.conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.b.Reload(ctx, root); err != nil {
		t.Fatalf("reload: %v", err)
	}
}

func wantScanError(t *testing.T, what string, err error, code, mention string) {
	t.Helper()
	var se *api.ScanError
	if !errors.As(err, &se) || se.Code != code || !strings.Contains(se.Message, mention) {
		t.Errorf("%s: %T %v, want an api.ScanError with code %q mentioning %q", what, err, err, code, mention)
	}
}

func second[T any](_ T, err error) error { return err }

func mustReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
