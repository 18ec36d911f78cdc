package scanner_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// setup is a demo ERP instance, a configuration naming repoURL, and the store.
func setup(t *testing.T, repoURL string) (*config.Config, *store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	core, err := sample.ArchiveOf("core", "2.50.20")
	if err != nil {
		t.Fatal(err)
	}
	if err := demoerp.NewInstance(filepath.Join(dir, "erp"), [][]byte{core}); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "upkeep.toml")
	body := "[erp]\nkind = \"demo\"\ndemo.dir = \"erp\"\n[repository]\nurl = \"" + repoURL + "\"\ntrusted_root = \"root.json\"\n[state]\ndir = \"state\"\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(c.State.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return c, st, dir
}

// TestScanErrorsAreClassed: a caller tells a configuration problem, an
// unreadable ERP and an unreachable repository apart.
func TestScanErrorsAreClassed(t *testing.T) {
	ctx := t.Context()
	c, st, dir := setup(t, "http://127.0.0.1:1")
	r, err := demo.New(demo.Config{Dir: c.ERP.Demo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scanner.Scan(ctx, c, st, r, scanner.Request{}); !errors.Is(err, scanner.ErrConfig) {
		t.Errorf("without the trusted root: %v, want ErrConfig", err)
	}
	os.WriteFile(filepath.Join(dir, "root.json"), []byte(`{"signed":{}}`), 0o644)
	if _, err := scanner.Scan(ctx, c, st, r, scanner.Request{}); !errors.Is(err, scanner.ErrConfig) && !errors.Is(err, scanner.ErrRepository) {
		t.Errorf("with a bad root and no repository: %v", err)
	}
	os.RemoveAll(filepath.Join(dir, "erp"))
	if _, err := scanner.Scan(ctx, c, st, r, scanner.Request{}); !errors.Is(err, scanner.ErrERP) {
		t.Errorf("with the ERP's files gone: %v, want ErrERP", err)
	}
	if _, err := scanner.ArchiveClient(c, "other@host.example"); !errors.Is(err, scanner.ErrConfig) {
		t.Errorf("a private repository the configuration does not list: %v, want ErrConfig", err)
	}
}

func TestImpliedChoicesReplanTheSamePlan(t *testing.T) {
	v := catalog.MustParseVersion
	plan := &scan.Plan{
		Disable: []scan.Disable{{Module: "reports", Version: v("0.9.0")}},
		Changes: []scan.PlannedChange{
			{Module: "core", From: v("2.50.22"), To: v("3.0.0"), Kind: catalog.KindUpgrade},
			{Module: "arp", From: v("1.3.0"), To: v("1.4.0"), Kind: catalog.KindUpdate},
			{Module: "warehouse", To: v("1.0.0"), Kind: catalog.KindNew},
		}}
	got := scanner.Request{Install: []string{"warehouse"}}.Implied(plan)
	if !slices.Equal(got.Install, []string{"warehouse"}) || !slices.Equal(got.IncludeUpgrades, []string{"core"}) || !got.DisableBlockers {
		t.Errorf("implied = %+v", got)
	}
	if o := (scanner.Request{PatchesOnly: true}).PlanOptions(); !o.PatchesOnly || o.DisableBlockers {
		t.Errorf("plan options = %+v", o)
	}
}

func TestSummaryCountsInWords(t *testing.T) {
	r := &scan.Report{Patches: make([]scan.Candidate, 1), Updates: make([]scan.Candidate, 2)}
	if got := scanner.Summary(r); got != "1 patch, 2 updates, 0 upgrades (0 more on request), 0 not applicable" {
		t.Errorf("Summary = %q", got)
	}
}
