package command_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/command"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// storySet is the installed set of the demo story.
var storySet = map[string]string{"core": "2.50.20", "arp": "1.3.0", "localization-es": "1.2.0", "reports": "0.9.0"}

// demoInstance creates the demo story's instance and returns its folder.
func demoInstance(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var archives [][]byte
	for name, v := range storySet {
		data, err := sample.ArchiveOf(name, v)
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, data)
	}
	if err := demoerp.NewInstance(dir, archives); err != nil {
		t.Fatal(err)
	}
	return dir
}

// demoConfig drives the demo ERP in dir as an OpenERP-style ERP through
// its command line; addr is where its server listens.
func demoConfig(t *testing.T, dir, addr string) config.Command {
	return config.Command{
		Database:   "sqlite://" + filepath.ToSlash(demoerp.DBPath(dir)),
		ModulesDir: filepath.Join(dir, demoerp.AddonsDir),
		Update:     []string{demoERP, "update", "--dir", dir, "-u", "{modules}", "-i", "{install}", "--disable", "{disable}"},
		Health:     []string{self(t), modeHealth, "http://" + addr + "/health"},
	}
}

// demoServer controls the demo ERP's server through a pidfile.
func demoServer(t *testing.T, dir, addr string) erp.Server {
	t.Helper()
	pidfile := filepath.Join(dir, "erp.pid")
	srv, err := proc.New(proc.Config{PIDFile: pidfile,
		Start: []string{demoERP, "serve", "--dir", dir, "--addr", addr, "--pidfile", pidfile}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("stop the demo ERP: %v", err)
		}
	})
	return srv
}

func newAdapter(t *testing.T, c config.Command, srv erp.Server) *command.Adapter {
	t.Helper()
	a, err := command.New(c, srv)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// demoAdapter is the adapter on a fresh demo instance, server stopped.
func demoAdapter(t *testing.T) (*command.Adapter, string) {
	t.Helper()
	dir, addr := demoInstance(t), erptest.FreeAddr(t)
	return newAdapter(t, demoConfig(t, dir, addr), demoServer(t, dir, addr)), dir
}

// arpFolder writes an arp folder at version whose schema.sql is schema.
func arpFolder(t *testing.T, version, schema string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "arp")
	m := sample.Module{Name: "arp", Version: version, Summary: "Advanced Receivables and Payables", Maturity: "confirmed-stable",
		Depends: []string{"core>=2.50.20"}}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{catalog.ManifestName: m.Manifest(), demoerp.SchemaFile: schema} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDemoConformance(t *testing.T) {
	erptest.Run(t, func(t *testing.T) erptest.Fixture {
		a, _ := demoAdapter(t)
		return erptest.Fixture{
			Reader: a,
			Want:   storySet,
			Broken: func(t *testing.T) erp.Reader {
				c := demoConfig(t, t.TempDir(), "127.0.0.1:1")
				c.Database = "sqlite://" + filepath.ToSlash(filepath.Join(t.TempDir(), "missing.sqlite"))
				return newAdapter(t, c, demoServer(t, t.TempDir(), "127.0.0.1:1"))
			},
		}
	})
}

func TestDemoWriterConformance(t *testing.T) {
	erptest.RunWriter(t, func(t *testing.T) erptest.WriterFixture {
		a, dir := demoAdapter(t)
		return erptest.WriterFixture{
			Writer: a,
			Checksum: func(t *testing.T) string {
				sum, err := dbcopy.SQLiteChecksum(context.Background(), demoerp.DBPath(dir))
				if err != nil {
					t.Fatal(err)
				}
				return sum
			},
			NewVersion: func(t *testing.T) (string, string, catalog.Version) {
				return "arp", arpFolder(t, "1.4.0", "ALTER TABLE arp_invoice ADD COLUMN upkeep_note TEXT;\n"), catalog.MustParseVersion("1.4.0")
			},
			NewColumn: "SELECT count(upkeep_note) FROM arp_invoice",
			BrokenVersion: func(t *testing.T) (string, string) {
				return "arp", arpFolder(t, "1.4.1", "INSERT INTO upkeep_no_such_table VALUES (1);\n")
			},
			Disableable: "reports",
		}
	})
}

func TestDemoSettingsSnapshotMenus(t *testing.T) {
	a, _ := demoAdapter(t)
	s, err := a.Settings(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := s["ir_ui_menu/100"]; !strings.Contains(got, "name=Receivables") || !strings.Contains(got, "module=arp") {
		t.Errorf("ir_ui_menu/100 = %q, want arp's Receivables menu", got)
	}
	for k := range s {
		if !strings.HasPrefix(k, "ir_ui_menu/") {
			t.Errorf("unexpected key %q: the demo ERP has no ir_config_parameter", k)
		}
	}
	if err := a.ExecSQL(ctxT(t), "UPDATE ir_ui_menu SET name = 'Customers' WHERE id = 100"); err != nil {
		t.Fatal(err)
	}
	after, err := a.Settings(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after["ir_ui_menu/100"], "name=Customers") {
		t.Errorf("after renaming the menu, Settings says %q", after["ir_ui_menu/100"])
	}
}
