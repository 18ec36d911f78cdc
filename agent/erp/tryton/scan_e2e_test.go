package tryton_test

// An external test package: it drives the upkeep command line (agent/cli),
// which imports this package, so it cannot live in package tryton. The
// fixtures come from export_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/cli"
	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// centralRepo is a central repository served over loopback HTTP.
type centralRepo struct {
	url  string
	root []byte // its root.json, the agent's trusted root
}

// trytonCatalog mirrors the real instance (want: the packaged versions):
// ir (the core) at trytond's version, country and party as installed; then
// a patch and an update of party in the same series, and ir in the next
// series, an upgrade from the installed trytond. res is not published, as
// a module the admin got elsewhere: the scan knows its dependency on ir
// only from its tryton.cfg. In publishing order: dependencies first.
func trytonCatalog(want map[string]string) (partyPatch, partyUpdate, irUpgrade string, mods []sample.Module) {
	mod := func(name, version string, depends ...string) sample.Module {
		for i, d := range depends {
			depends[i] = d + ">=6.0.0"
		}
		return sample.Module{Name: name, Version: version, Summary: "Tryton " + name, Depends: depends,
			Maturity: "confirmed-stable", DefaultUpgrade: true}
	}
	partyPatch = want["party"] + ".1"
	partyUpdate = seriesOf(want["party"]) + ".99"
	irUpgrade = "6.2.0"
	ir := mod("ir", want["ir"])
	ir.Core = true
	patch := mod("party", partyPatch, "country", "ir")
	patch.Patch = true
	next := mod("ir", irUpgrade)
	next.Core, next.UpgradeFrom = true, want["ir"]
	return partyPatch, partyUpdate, irUpgrade, []sample.Module{
		ir,
		mod("country", want["country"], "ir"),
		mod("party", want["party"], "country", "ir"),
		patch,
		mod("party", partyUpdate, "country", "ir"),
		next,
	}
}

// seriesOf is the first two components of a version: "6.0.3" → "6.0".
func seriesOf(v string) string {
	parts := strings.SplitN(v, ".", 3)
	return parts[0] + "." + parts[1]
}

// serve builds a central repository in a temporary folder, publishes mods,
// and serves it until the test and its subtests end.
func serve(t *testing.T, mods []sample.Module) centralRepo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cr")
	res, err := repo.Init(dir, repo.InitOptions{BinBits: 4})
	if err != nil {
		t.Fatal(err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, m := range mods {
		data, err := m.Archive()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Publish(context.Background(), data, repo.LocalActor("test")); err != nil {
			t.Fatalf("publish %s %s: %v", m.Name, m.Version, err)
		}
	}
	h, err := repo.NewServer(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close) // registered after s.Close, so it runs first
	root, err := os.ReadFile(res.RootPath)
	if err != nil {
		t.Fatal(err)
	}
	return centralRepo{url: srv.URL, root: root}
}

// agentConfig writes the trusted root and an upkeep.toml for the Tryton
// instance fx into a new folder, and returns the upkeep.toml's path.
func agentConfig(t *testing.T, fx tryton.Fixture, cr centralRepo) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "root.json"), cr.root, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "upkeep.toml")
	body := fmt.Sprintf(`[erp]
kind = "tryton"

[erp.tryton]
trytond_conf = %q
database = %q
python = %q
python_path = [%q]

[repository]
url = %q
trusted_root = "root.json"

[state]
dir = "state"
`, fx.TrytondConf, fx.Database, tryton.DefaultPython, fx.Overlay, cr.url)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// upkeep runs the command line with --json, fails the test unless it exits
// 0, and decodes its output into v.
func upkeep(t *testing.T, v any, args ...string) {
	t.Helper()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.Main(append(args, "--json"), &out, &errOut)
	t.Logf("upkeep %s: exit %d in %s", strings.Join(args[2:], " "), code, time.Since(start).Round(time.Millisecond))
	if code != cli.ExitOK {
		t.Fatalf("upkeep %s: exit %d\nstderr: %s\nstdout: %s", strings.Join(args, " "), code, errOut.String(), out.String())
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("upkeep %s: the output is not the expected JSON: %v\n%s", strings.Join(args, " "), err, out.String())
	}
}

// find returns the candidate for module → to among cs, or nil.
func find(cs []scan.Candidate, module, to string) *scan.Candidate {
	for i := range cs {
		if cs[i].Module == module && cs[i].To.String() == to {
			return &cs[i]
		}
	}
	return nil
}

// blockedBy reports whether c's reasons name mv ("res 6.0.29").
func blockedBy(c *scan.Candidate, mv string) bool {
	return c.Why != nil && strings.Contains(strings.Join(c.Why.Reasons, " "), mv)
}

func list(cs []scan.Candidate) string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s→%s (%s)", c.Module, c.From, c.To, c.Kind))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// TestScanTrytonEndToEnd runs `upkeep scan`, `plan` and `installed` on the
// real Tryton 6.0 instances of the fixtures (SQLite and PostgreSQL) against
// a real central repository over HTTP whose catalog mirrors them.
func TestScanTrytonEndToEnd(t *testing.T) {
	t.Parallel()
	tryton.NeedTrytonForTest(t)
	want := tryton.PackagedForTest(t)
	start := time.Now()
	partyPatch, partyUpdate, irUpgrade, mods := trytonCatalog(want)
	cr := serve(t, mods)
	t.Logf("central repository with %d versions built and served in %s", len(mods), time.Since(start).Round(time.Millisecond))

	for _, backend := range []struct {
		name    string
		fixture func(*testing.T) tryton.Fixture
	}{
		{"SQLite", tryton.SQLiteFixtureForTest},
		{"PostgreSQL", tryton.PostgresFixtureForTest},
	} {
		t.Run(backend.name, func(t *testing.T) {
			t.Parallel()
			conf := agentConfig(t, backend.fixture(t), cr)
			start := time.Now()

			var r scan.Report
			upkeep(t, &r, "--config", conf, "scan")
			if r.Core.Module != "ir" || !r.Core.Core || r.Core.Version.String() != want["ir"] {
				t.Errorf("report core = %+v, want ir at trytond's version %s", r.Core, want["ir"])
			}
			if got, wantRepos := strings.Join(r.Repositories, ","), seriesOf(want["ir"])+","+seriesOf(irUpgrade); got != wantRepos {
				t.Errorf("repositories scanned = %s, want %s (the core's series, then the newer one)", got, wantRepos)
			}
			installed := map[string]string{}
			for _, m := range r.Installed {
				installed[m.Module] = m.Version.String()
			}
			if fmt.Sprint(installed) != fmt.Sprint(want) {
				t.Errorf("the report's installed modules = %v, want %v", installed, want)
			}

			if c := find(r.Patches, "party", partyPatch); c == nil {
				t.Errorf("patches = %s, want party %s→%s", list(r.Patches), want["party"], partyPatch)
			} else if c.From.String() != want["party"] || c.Kind != catalog.KindPatch || c.Stage != 1 {
				t.Errorf("party patch = %+v, want from %s, kind patch, stage 1", *c, want["party"])
			}
			if c := find(r.Updates, "party", partyUpdate); c == nil {
				t.Errorf("updates = %s, want party %s→%s", list(r.Updates), want["party"], partyUpdate)
			} else if c.From.String() != want["party"] || c.Kind != catalog.KindUpdate || c.Stage != 1 {
				t.Errorf("party update = %+v, want from %s, kind update, stage 1", *c, want["party"])
			}

			// ir 6.2.0 is an upgrade of the core, not applicable: country and
			// party are published only for 6.0, and res, published nowhere,
			// needs ir of its installed series by its tryton.cfg. The scan
			// read res's dependencies from the ERP, so it does not warn.
			for _, w := range r.Warnings {
				if strings.Contains(w, "reported no dependencies") {
					t.Errorf("scan warning %q: the dependencies in tryton.cfg did not reach the scan", w)
				}
			}
			up := find(r.NotApplicable, "ir", irUpgrade)
			switch {
			case up == nil:
				t.Errorf("ir %s is not among the not applicable %s (upgrades %s, notices %s)",
					irUpgrade, list(r.NotApplicable), list(r.Upgrades), list(r.UpgradeNotices))
			case !blockedBy(up, "res "+want["res"]) || !blockedBy(up, "party "+want["party"]):
				t.Errorf("ir %s is not applicable without reasons naming res %s (unpublished) and party: %+v", irUpgrade, want["res"], up.Why)
			case up.From.String() != want["ir"] || up.Kind != catalog.KindUpgrade:
				t.Errorf("ir upgrade = %+v, want from %s, kind upgrade", *up, want["ir"])
			case up.Why != nil:
				t.Logf("ir %s (stage %d): %s", irUpgrade, up.Stage, strings.Join(up.Why.Reasons, " | "))
			}

			var p scan.Plan
			upkeep(t, &p, "--config", conf, "plan")
			if p.Hash == "" || len(p.Changes) == 0 {
				t.Errorf("plan: hash %q, %d changes; want a hash and party's change", p.Hash, len(p.Changes))
			}
			planned := false
			for _, c := range p.Changes {
				planned = planned || (c.Module == "party" && c.From.String() == want["party"])
			}
			if !planned {
				t.Errorf("plan changes = %+v, want one for party from %s", p.Changes, want["party"])
			}

			var rows []struct {
				Module  string `json:"module"`
				Version string `json:"version"`
				Core    bool   `json:"core"`
			}
			upkeep(t, &rows, "--config", conf, "installed")
			listed := map[string]string{}
			for _, row := range rows {
				listed[row.Module] = row.Version
				if row.Core != (row.Module == "ir") {
					t.Errorf("installed: %s core = %v; only ir is the core", row.Module, row.Core)
				}
			}
			if listed["party"] != want["party"] || fmt.Sprint(listed) != fmt.Sprint(want) {
				t.Errorf("installed = %v, want %v (party at its tryton.cfg version %s)", listed, want, want["party"])
			}
			t.Logf("scan, plan and installed on %s: %s", backend.name, time.Since(start).Round(time.Millisecond))
		})
	}
}
