package demo_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/internal/modarchive"
)

// started returns a Writer on a fresh story instance whose server runs
// under pidfile control on a free port; it is stopped at the end.
func started(t *testing.T) (*demo.Writer, string) {
	t.Helper()
	dir, addr := instance(t), erptest.FreeAddr(t)
	run := t.TempDir()
	pf := filepath.Join(run, "demo-erp.pid")
	srv, err := proc.New(proc.Config{PIDFile: pf, Log: filepath.Join(run, "demo-erp.log"), StopTimeout: 10 * time.Second,
		Start: []string{demoERP, "--dir", dir, "serve", "--addr", addr, "--pidfile", pf}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := demo.NewWriter(demo.Config{Dir: dir, URL: "http://" + addr, Command: []string{demoERP}, Server: srv})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.Stop(ctx); err != nil {
			t.Errorf("cleanup Stop: %v", err)
		}
	})
	return w, dir
}

// arpFolder extracts arp 1.4.0 from the demo catalog with schema.sql
// replaced, and returns its folder.
func arpFolder(t *testing.T, schema string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "arp")
	if _, err := modarchive.Extract(dir, archive(t, "arp", "1.4.0")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, demoerp.SchemaFile), []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWriterConformance(t *testing.T) {
	erptest.RunWriter(t, func(t *testing.T) erptest.WriterFixture {
		w, dir := started(t)
		return erptest.WriterFixture{
			Writer:  w,
			Running: true,
			Checksum: func(t *testing.T) string {
				sum, err := dbcopy.SQLiteChecksum(t.Context(), demoerp.DBPath(dir))
				if err != nil {
					t.Fatal(err)
				}
				return sum
			},
			NewVersion: func(t *testing.T) (string, string, catalog.Version) {
				return "arp", arpFolder(t, "ALTER TABLE arp_invoice ADD COLUMN reminders INTEGER NOT NULL DEFAULT 0;\n"), catalog.MustParseVersion("1.4.0")
			},
			NewColumn: "SELECT count(reminders) FROM arp_invoice",
			BrokenVersion: func(t *testing.T) (string, string) {
				return "arp", arpFolder(t, "INSERT INTO arp_no_such_table VALUES (1);\n")
			},
			Disableable: "reports",
		}
	})
}
