package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// TestAdaptersAreRegisteredOnceInOrder: one entry per erp.kind, sorted,
// each with both sides.
func TestAdaptersAreRegisteredOnceInOrder(t *testing.T) {
	var kinds []string
	for _, a := range adapters {
		if a.reader == nil || a.writer == nil {
			t.Errorf("adapter %q lacks a side: reader %v, writer %v", a.kind, a.reader != nil, a.writer != nil)
		}
		kinds = append(kinds, a.kind)
	}
	if !slices.IsSorted(kinds) || len(slices.Compact(slices.Clone(kinds))) != len(kinds) {
		t.Errorf("adapters %v: keep them sorted by kind, one each", kinds)
	}
}

func TestOpenRefusesAnUnknownKindNamingTheKnownOnes(t *testing.T) {
	_, err := Open(&config.Config{ERP: config.ERP{Kind: "abacus"}})
	if err == nil || !strings.Contains(err.Error(), `"abacus"`) || !strings.Contains(err.Error(), "demo") {
		t.Errorf("Open of an unknown kind: %v; want an error naming it and the known kinds", err)
	}
}

// TestTheDemoERPsParts: the reader reads the instance; the writer and the
// runner need a server control, and the runner is the configuration's.
func TestTheDemoERPsParts(t *testing.T) {
	dir := t.TempDir()
	data, err := sample.ArchiveOf("core", "2.50.20")
	if err != nil {
		t.Fatal(err)
	}
	if err := demoerp.NewInstance(filepath.Join(dir, "erp"), [][]byte{data}); err != nil {
		t.Fatal(err)
	}
	body := "[erp]\nkind = \"demo\"\ndemo.dir = \"erp\"\n[repository]\nurl = \"http://127.0.0.1:1\"\ntrusted_root = \"root.json\"\n[state]\ndir = \"state\"\n"
	c := load(t, dir, body)
	h, err := Open(c)
	if err != nil {
		t.Fatal(err)
	}
	r, err := h.Reader()
	if err != nil {
		t.Fatal(err)
	}
	mods, err := r.Installed(context.Background())
	if err != nil || len(mods) != 1 || mods[0].Name != "core" {
		t.Errorf("installed through the reader: %+v, %v", mods, err)
	}
	st, err := store.Open(c.State.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := h.Runner(st); err == nil || !strings.Contains(err.Error(), "erp.server") {
		t.Errorf("a runner without [erp.server]: %v; want an error naming erp.server", err)
	}
	c = load(t, dir, body+"[erp.server]\nstart = [\"true\"]\nstop = [\"true\"]\n[apply]\nhealth_timeout = \"7s\"\n")
	h, _ = Open(c)
	run, err := h.Runner(st)
	if err != nil {
		t.Fatal(err)
	}
	if run.Writer.Kind() != "demo" || run.Store != st || run.StateDir != c.State.Dir || run.Config != c.Apply || run.FetcherFor == nil {
		t.Errorf("runner %+v: want the demo writer, the store, the state folder, [apply] and the fetchers", run)
	}
	target, err := h.Target(run.Writer)
	if err != nil || target.Cloner == nil || target.Instance != nil {
		t.Errorf("rehearsal target without a test instance: %+v, %v; want copies of production", target, err)
	}
}

func load(t *testing.T, dir, body string) *config.Config {
	t.Helper()
	p := filepath.Join(dir, "upkeep.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCheckReadsOdoosConfiguration: config check names, in Odoo's words,
// a data_dir Odoo's user cannot write and a missing addons folder.
func TestCheckReadsOdoosConfiguration(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "odoo.conf")
	if err := os.WriteFile(conf, []byte("[options]\naddons_path = "+filepath.Join(dir, "missing")+"\ndata_dir = /proc/upkeep-no-such\ndb_name = erp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &config.Config{ERP: config.ERP{Kind: "odoo", Odoo: config.Odoo{OdooBin: "/bin/true", Config: conf}}}
	msgs := fmt.Sprint(odooChecks(c))
	for _, want := range []string{"data_dir = /proc/upkeep-no-such", "is not a folder"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("Check of the Odoo setup = %s; want it to say %q", msgs, want)
		}
	}
	c.ERP.Odoo.Config = filepath.Join(dir, "none.conf")
	if msgs := fmt.Sprint(odooChecks(c)); !strings.Contains(msgs, "erp.odoo.config") {
		t.Errorf("Check with a missing Odoo configuration = %s; want it to name erp.odoo.config", msgs)
	}
}
