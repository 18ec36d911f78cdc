package backend_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/host"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// newBackend is the backend over a real demo ERP instance, a real store
// and a real configuration file.
func newBackend(t *testing.T) (*backend.Backend, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	var archives [][]byte
	for _, nv := range [][2]string{{"core", "2.50.20"}, {"arp", "1.3.0"}} {
		data, err := sample.ArchiveOf(nv[0], nv[1])
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, data)
	}
	if err := demoerp.NewInstance(filepath.Join(dir, "erp"), archives); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "upkeep.toml")
	body := "[erp]\nkind = \"demo\"\ndemo.dir = \"erp\"\n[repository]\nurl = \"http://127.0.0.1:1\"\ntrusted_root = \"root.json\"\n[state]\ndir = \"state\"\n"
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
	return backend.New(backend.Options{Config: c, Store: st, Open: host.Open, Version: "v-test", Started: time.Now()}), st
}

var root = api.Caller{User: "root", UID: "0", CanAct: true}

func TestInstalledComparesTheERPWithTheLedger(t *testing.T) {
	b, st := newBackend(t)
	if err := st.Record(ctx, store.LedgerEntry{Module: "arp", Version: "1.2.0", Action: "installed"}); err != nil {
		t.Fatal(err)
	}
	mods, err := b.Installed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]api.InstalledModule{}
	for _, m := range mods {
		got[m.Module] = m
	}
	if !got["core"].Core || got["core"].Version != "2.50.20" {
		t.Errorf("core = %+v", got["core"])
	}
	if a := got["arp"]; a.Version != "1.3.0" || a.Ledger != "1.2.0" || !strings.Contains(a.Note, "the agent installed 1.2.0") {
		t.Errorf("arp = %+v, want the ledger's disagreement noted", a)
	}
}

func TestReportAndStatusReadTheLastSavedScan(t *testing.T) {
	b, st := newBackend(t)
	var nf *api.NotFoundError
	if _, err := b.Report(ctx); !errors.As(err, &nf) {
		t.Fatalf("no scan yet: %v, want NotFoundError", err)
	}
	if _, err := st.SaveScan(ctx, "1 patches", []byte(`{"schema":1,"core":{"module":"core","version":"2.50.20"},"patches":[{"module":"core","from":"2.50.20","to":"2.50.21"}]}`)); err != nil {
		t.Fatal(err)
	}
	r, err := b.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary != "1 patches" || r.Report == nil || len(r.Report.Patches) != 1 || r.Report.Patches[0].To.String() != "2.50.21" {
		t.Errorf("report = %+v", r)
	}
	s, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.LastScan == nil || s.LastScan.ID != r.ID || s.ERP != "demo" || s.Version != "v-test" || s.PID != os.Getpid() {
		t.Errorf("status = %+v", s)
	}
}

func TestChangesAreAllCheckedBeforeAnyIsMade(t *testing.T) {
	b, _ := newBackend(t)
	_, err := b.SetOverrides(ctx, api.OverridesChange{DefaultUpgrade: map[string]string{"arp": "false"},
		Relax: []api.Relaxation{{Module: "reports", Dependency: "core", Enforcement: "loose"}}}, root)
	var br *api.BadRequestError
	if !errors.As(err, &br) || !strings.Contains(err.Error(), "relax[0].enforcement") {
		t.Errorf("bad enforcement: %v, want BadRequestError naming relax[0].enforcement", err)
	}
	if o, _ := b.Overrides(ctx); len(o.DefaultUpgrade) != 0 {
		t.Errorf("a refused change was partly made: %+v", o)
	}
	_, err = b.SetHolds(ctx, api.HoldsChange{Hold: []api.Hold{{Module: "arp"}}, Unhold: []string{"core"}}, root)
	if !errors.As(err, &br) || br.Code != api.CodeUnknownModule || !strings.Contains(err.Error(), "core: it is not held") {
		t.Errorf("unhold of a module not held: %v, want BadRequestError %s", err, api.CodeUnknownModule)
	}
	if h, _ := b.Holds(ctx); len(h) != 0 {
		t.Errorf("a refused change was partly made: %+v", h)
	}
	h, err := b.SetHolds(ctx, api.HoldsChange{Hold: []api.Hold{{Module: "arp", Reason: "audit"}}}, root)
	if err != nil || len(h) != 1 || h[0].SetBy != "root" || h[0].Reason != "audit" {
		t.Fatalf("hold: %+v, %v", h, err)
	}
	if h, err = b.SetHolds(ctx, api.HoldsChange{Unhold: []string{"arp"}}, root); err != nil || len(h) != 0 {
		t.Errorf("unhold: %+v, %v", h, err)
	}
}
