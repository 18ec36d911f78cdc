package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// story serves the demo catalog from a real repository over loopback HTTP
// and returns a config for the demo ERP instance of the story.
func story(t *testing.T) (conf string, stop func()) {
	t.Helper()
	return storyHeld(t, nil)
}

// storyHeld is story whose archive downloads wait until hold is closed
// (nil: they do not wait), so that a run stays before its point of no return.
func storyHeld(t *testing.T, hold chan struct{}) (conf string, stop func()) {
	t.Helper()
	return storyWith(t, hold)
}

// storyWith is storyHeld with more modules published after the catalog;
// a module's default_upgrade is kept from its first publish, so an extra
// one saying false is set so by the admin (upkeep-repo default-upgrade).
func storyWith(t *testing.T, hold chan struct{}, extra ...sample.Module) (conf string, stop func()) {
	t.Helper()
	conf = instance(t)
	dir := filepath.Join(t.TempDir(), "cr")
	res, err := repo.Init(dir, repo.InitOptions{BinBits: 4})
	if err != nil {
		t.Fatal(err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(sample.Catalog(), extra...) {
		data, _ := m.Archive()
		if _, err := s.Publish(ctx, data, repo.LocalActor("test")); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range extra {
		if !m.DefaultUpgrade {
			if err := s.SetDefaultUpgrade(ctx, m.Name, false, repo.LocalActor("test")); err != nil {
				t.Fatal(err)
			}
		}
	}
	h, err := repo.NewServer(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hold != nil && strings.Contains(r.URL.Path, "/archives/") {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	base := filepath.Dir(conf)
	root, _ := os.ReadFile(res.RootPath)
	os.WriteFile(filepath.Join(base, "root.json"), root, 0o644)
	body := strings.Replace(mustRead(t, conf), "http://127.0.0.1:1", srv.URL, 1)
	os.WriteFile(conf, []byte(body), 0o600)
	return conf, func() { srv.Close(); s.Close() }
}

func scanJSON(t *testing.T, args ...string) *scan.Report {
	t.Helper()
	code, out, errOut := run(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	var r scan.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return &r
}

func names(cs []scan.Candidate) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Module+" "+c.To.String())
	}
	return strings.Join(out, ", ")
}

func TestScanTheDemoStory(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	r := scanJSON(t, "--config", conf, "scan", "--install", "warehouse")
	if got := names(r.Patches); !strings.Contains(got, "core 2.50.21") && !strings.Contains(names(r.Updates), "core 2.50.22") {
		t.Errorf("patches %q / updates %q: want the core patch 2.50.21 or the update 2.50.22", got, names(r.Updates))
	}
	if got := names(r.Updates); !strings.Contains(got, "arp 1.4.0") {
		t.Errorf("updates = %q, want arp 1.4.0", got)
	}
	if got := names(r.UpgradeNotices); !strings.Contains(got, "arp 2.0.0") {
		t.Errorf("upgrade notices = %q, want arp 2.0.0 (not upgraded by default)", got)
	}
	blocked := ""
	for _, c := range append(r.NotApplicable, r.Upgrades...) {
		if c.Module == "core" && c.To.String() == "3.0.0" && c.Why != nil {
			blocked = strings.Join(c.Why.Reasons, " | ")
		}
	}
	if !strings.Contains(blocked, "localization-es") || !strings.Contains(blocked, "reports") {
		t.Errorf("core 3.0.0 blockers = %q, want localization-es and reports", blocked)
	}
	if len(r.NewModules) != 1 || r.NewModules[0].Version.String() != "1.0.0" {
		t.Errorf("new modules = %+v, want warehouse 1.0.0", r.NewModules)
	}
	code, out, _ := run(t, "--config", conf, "scan")
	if code != 0 || !strings.Contains(out, "Not applicable") || !strings.Contains(out, "arp") {
		t.Errorf("text report (exit %d):\n%s", code, out)
	}
}

func TestPlanHashIsStable(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	plan := func(args ...string) scan.Plan {
		code, out, errOut := run(t, append([]string{"--config", conf, "plan", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("plan %v: exit %d: %s", args, code, errOut)
		}
		var p scan.Plan
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := plan(), plan()
	if a.Hash == "" || a.Hash != b.Hash || len(a.Changes) == 0 {
		t.Fatalf("plans %s and %s (%d changes): want the same non-empty hash", a.Hash, b.Hash, len(a.Changes))
	}
	enforced := plan("--disable-blockers", "--include-upgrades", "core")
	if enforced.Hash == a.Hash || len(enforced.Disable) == 0 {
		t.Errorf("enforced plan disables %v with hash %s; want blockers disabled and another hash", enforced.Disable, enforced.Hash)
	}
}

// TestPlanSaysWhichPatchIsIncluded: the scan lists the core patch 2.50.21,
// the plan goes straight to 2.50.22 and says the patch is in it.
func TestPlanSaysWhichPatchIsIncluded(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	r := scanJSON(t, "--config", conf, "scan")
	if !strings.Contains(names(r.Patches), "core 2.50.21") {
		t.Fatalf("patches = %q, want core 2.50.21", names(r.Patches))
	}
	code, out, errOut := run(t, "--config", conf, "plan")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "2.50.22") || !strings.Contains(out, "core 2.50.21 is included in 2.50.22") {
		t.Errorf("plan does not say the patch is included:\n%s", out)
	}
}

func TestScanExitCodes(t *testing.T) {
	conf, stop := story(t)
	stop() // the repository is down
	if code, _, errOut := run(t, "--config", conf, "scan"); code != ExitRepository || !strings.Contains(errOut, "cannot reach") {
		t.Errorf("repository down: exit %d %q, want %d", code, errOut, ExitRepository)
	}
	conf2, stop2 := story(t)
	defer stop2()
	_, otherStop := story(t) // a root from another repository: its keys sign nothing here
	defer otherStop()
	other := filepath.Join(filepath.Dir(conf2), "root.json")
	foreign := filepath.Join(t.TempDir(), "root.json")
	dir := filepath.Join(t.TempDir(), "cr2")
	res, _ := repo.Init(dir, repo.InitOptions{BinBits: 4})
	data, _ := os.ReadFile(res.RootPath)
	os.WriteFile(foreign, data, 0o644)
	os.WriteFile(other, data, 0o644)
	if code, _, errOut := run(t, "--config", conf2, "scan"); code != ExitUntrusted {
		t.Errorf("foreign root: exit %d %q, want %d", code, errOut, ExitUntrusted)
	}
}

// TestOwnMajorIsAnUpgradeOnRequest: reports 1.0.0 (0.9.0 installed),
// with the module's default_upgrade = false, is an upgrade shown apart and
// proposed only on request, never an update.
func TestOwnMajorIsAnUpgradeOnRequest(t *testing.T) {
	conf, stop := storyWith(t, nil, sample.Module{Name: "reports", Version: "1.0.0", Summary: "Custom reports, new engine",
		DefaultUpgrade: false, Maturity: "confirmed-stable", Depends: []string{"core=2.50.*"}})
	t.Cleanup(stop)
	rep := scanJSON(t, "--config", conf, "scan")
	for what, list := range map[string][]scan.Candidate{"updates": rep.Updates, "patches": rep.Patches, "upgrades": rep.Upgrades} {
		if strings.Contains(names(list), "reports 1.0.0") {
			t.Errorf("reports 1.0.0 is among the %s: %s", what, names(list))
		}
	}
	if !strings.Contains(names(rep.UpgradeNotices), "reports 1.0.0") {
		t.Errorf("reports 1.0.0 is not among the upgrades on request: %s", names(rep.UpgradeNotices))
	}
	asked := scanJSON(t, "--config", conf, "scan", "--include-upgrades", "reports")
	if !strings.Contains(names(asked.Upgrades), "reports 1.0.0") || strings.Contains(names(asked.Updates), "reports 1.0.0") {
		t.Errorf("on request: upgrades %q, updates %q; want reports 1.0.0 among the upgrades only", names(asked.Upgrades), names(asked.Updates))
	}
}
