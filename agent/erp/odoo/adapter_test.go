package odoo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

func TestReaderConformance(t *testing.T) {
	erptest.Run(t, func(t *testing.T) erptest.Fixture {
		in := newInstance(t)
		return erptest.Fixture{Reader: in.adapter, Want: installedSet, Broken: func(t *testing.T) erp.Reader {
			c := in.cfg
			c.Database = "odoo_missing_" + randomHex(t)
			a, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}}
	})
}

// shelfFolder writes an upk_shelf folder at version with upgrade.sql (run
// by the stand-in odoo-bin) and Odoo migration scripts.
func shelfFolder(t *testing.T, version, upgrade string, more map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"upk_shelf/__manifest__.py":                   "{'name': 'Shelf', 'version': '" + version + "', 'depends': ['base', 'web']}\n",
		"upk_shelf/upgrade.sql":                       upgrade,
		"upk_shelf/migrations/1.1.0/pre-colour.py":    "def migrate(cr, version):\n    pass\n",
		"upk_shelf/migrations/0.0.0/end-always.py":    "def migrate(cr, version):\n    pass\n",
		"upk_shelf/migrations/1.0.0/pre-installed.py": "def migrate(cr, version):\n    pass\n",
	}
	for k, v := range more {
		files["upk_shelf/"+k] = v
	}
	writeFiles(t, root, files)
	return filepath.Join(root, "upk_shelf")
}

func TestWriterConformance(t *testing.T) {
	erptest.RunWriter(t, func(t *testing.T) erptest.WriterFixture {
		in := newInstance(t)
		return erptest.WriterFixture{
			Writer: in.adapter,
			Checksum: func(t *testing.T) string {
				sum, err := dbcopy.Postgres{URL: in.dbURL}.Checksum(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return sum
			},
			NewVersion: func(t *testing.T) (string, string, catalog.Version) {
				return "upk_shelf", shelfFolder(t, "17.0.1.1.0", "ALTER TABLE shelf_item ADD COLUMN colour varchar;", nil), catalog.MustParseVersion("17.0.1.1.0")
			},
			NewColumn: "SELECT count(colour) FROM shelf_item",
			BrokenVersion: func(t *testing.T) (string, string) {
				return "upk_shelf", shelfFolder(t, "17.0.1.2.0", "UPDATE upkeep_no_such_table SET x = 1;", nil)
			},
			Corrupt: func(t *testing.T, b erp.Backup) {
				// The copy is closed to connections and checked by its
				// catalog: a superuser opens it and changes a table's columns.
				admin, err := pgx.Connect(ctxT(t), pgServer+"postgres")
				if err != nil {
					t.Fatal(err)
				}
				defer admin.Close(context.Background())
				if _, err := admin.Exec(ctxT(t), "ALTER DATABASE "+b.Database+" WITH ALLOW_CONNECTIONS true"); err != nil {
					t.Fatal(err)
				}
				conn, err := pgx.Connect(ctxT(t), pgServer+b.Database)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(context.Background())
				if _, err := conn.Exec(ctxT(t), "ALTER TABLE shelf_item ADD COLUMN damaged int"); err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}

// swap puts folder in place of the live module's code, as the runner does.
func swap(t *testing.T, a *Adapter, module, folder string) {
	t.Helper()
	live, err := a.ModuleDir(module)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(live); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(folder, live); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateListsOdooMigrationsAndReadsBack(t *testing.T) {
	in := newInstance(t)
	swap(t, in.adapter, "upk_shelf", shelfFolder(t, "17.0.1.1.0", "ALTER TABLE shelf_item ADD COLUMN colour varchar;", nil))
	var log bytes.Buffer
	if err := in.adapter.Update(ctxT(t), erp.UpdateRequest{Modules: []string{"upk_shelf"}}, &log); err != nil {
		t.Fatalf("Update: %v\n%s", err, log.String())
	}
	for _, want := range []string{"Odoo will run upk_shelf [>1.1.0] migrations/1.1.0/pre-colour.py",
		"Odoo will run upk_shelf [$0.0.0] migrations/0.0.0/end-always.py"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "pre-installed.py") {
		t.Errorf("the log lists the script of the installed version's folder:\n%s", log.String())
	}
}

// TestReadBackCatchesAnUpdateThatChangedNothing: odoo-bin exits 0 but
// ir_module_module keeps the old latest_version; the runner's read-back
// (erp.Check over Installed) names it.
func TestReadBackCatchesAnUpdateThatChangedNothing(t *testing.T) {
	in := newInstance(t)
	swap(t, in.adapter, "upk_shelf", shelfFolder(t, "17.0.1.1.0", "", map[string]string{"lies": ""}))
	if err := in.adapter.Update(ctxT(t), erp.UpdateRequest{Modules: []string{"upk_shelf"}}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	_, err := erp.Check(ctxT(t), in.adapter, erp.Expected{Versions: map[string]catalog.Version{"upk_shelf": catalog.MustParseVersion("17.0.1.1.0")}})
	if !errors.Is(err, erp.ErrNotVerified) || !strings.Contains(err.Error(), "upk_shelf's database is at 17.0.1.0.0, want 17.0.1.1.0") {
		t.Fatalf("Check after a run that recorded nothing = %v; want the database version named", err)
	}
}

func TestLeftoverStatesAreInconsistent(t *testing.T) {
	in := newInstance(t)
	if err := in.adapter.ExecSQL(ctxT(t), "UPDATE ir_module_module SET state = 'to upgrade' WHERE name = 'upk_shelf'; UPDATE ir_module_module SET state = 'to install' WHERE name = 'upk_unused'"); err != nil {
		t.Fatal(err)
	}
	_, err := in.adapter.Installed(ctxT(t))
	if !errors.Is(err, ErrInconsistent) {
		t.Fatalf("Installed = %v, want ErrInconsistent", err)
	}
	for _, want := range []string{`upk_shelf marked "to upgrade"`, `upk_unused marked "to install"`, "upkeep apply --recover-only",
		"-u upk_shelf -i upk_unused --stop-after-init"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if err := in.adapter.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := waitHealth(t, in.adapter); !errors.Is(err, ErrInconsistent) {
		t.Errorf("Health = %v, want ErrInconsistent", err)
	}
}

// waitHealth polls Health until it passes or fails for another reason
// than a server that does not answer yet.
func waitHealth(t *testing.T, a *Adapter) error {
	t.Helper()
	for {
		err := a.Health(ctxT(t))
		if err == nil || !strings.Contains(err.Error(), "does not answer") {
			return err
		}
		select {
		case <-ctxT(t).Done():
			return err
		default:
		}
	}
}

func TestHealthRefusedLogin(t *testing.T) {
	in := newInstance(t)
	if err := in.adapter.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := waitHealth(t, in.adapter); err != nil {
		t.Fatalf("Health: %v", err)
	}
	writeFiles(t, in.dir, map[string]string{"password": "wrong\n"})
	err := in.adapter.Health(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "the login of admin on") {
		t.Errorf("Health with a wrong password = %v, want a refused login", err)
	}
}

// TestFilestoreRestoredWithTheDatabase is the failed update that touched
// attachments: the restore brings back the removed file and drops the
// one it wrote; the backup keeps its copy.
func TestFilestoreRestoredWithTheDatabase(t *testing.T) {
	in := newInstance(t)
	a := in.adapter
	store := a.Filestore()
	b, err := a.Backup(ctxT(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.DropBackup(context.Background(), b) })
	writeFiles(t, store, map[string]string{"ef/ef56": "written by the failed update\n"})
	if err := os.Remove(filepath.Join(store, "ab/ab12")); err != nil {
		t.Fatal(err)
	}
	if err := a.ExecSQL(ctxT(t), "INSERT INTO ir_attachment (name, store_fname) VALUES ('new.txt', 'ef/ef56'); DELETE FROM ir_attachment WHERE store_fname = 'ab/ab12'"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second restore is what a crash during the first leads to
		if err := a.Restore(ctxT(t), b); err != nil {
			t.Fatalf("Restore #%d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(filepath.Join(store, "ef/ef56")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the attachment the failed update wrote is still there: %v", err)
	}
	for name, want := range map[string]string{"ab/ab12": "an old attachment\n", "cd/cd34": "another old attachment\n"} {
		if got, err := os.ReadFile(filepath.Join(store, name)); err != nil || string(got) != want {
			t.Errorf("old attachment %s after the restore: %q, %v", name, got, err)
		}
	}
	if v, err := a.QueryValue(ctxT(t), "SELECT string_agg(store_fname, ',' ORDER BY id) FROM ir_attachment"); err != nil || v != "ab/ab12" {
		t.Errorf("ir_attachment after the restore = %q, %v; want only ab/ab12", v, err)
	}
	if got, err := os.ReadFile(filepath.Join(b.Path, filestoreDir, "ab/ab12")); err != nil || string(got) != "an old attachment\n" {
		t.Errorf("the backup's copy after the restore: %q, %v", got, err)
	}
}

func TestNewExplainsTheConfiguration(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ conf, says string }{
		{"[options]\naddons_path = /a\ndata_dir = /d\n", "has no db_name and erp.odoo.database is empty"},
		{"[options]\ndb_name = erp\ndata_dir = /d\n", "has no addons_path"},
		{"[options]\ndb_name = erp\naddons_path = /a\n", "has no data_dir"},
		{"[options]\ndb_name = erp\naddons_path = addons\ndata_dir = /d\n", `addons_path entry "addons" is relative`},
		{"db_name = erp\n", "no [options] section"},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, "odoo.conf")
		writeFiles(t, dir, map[string]string{"odoo.conf": tt.conf})
		_, err := New(Config{ConfFile: p, OdooBin: "/opt/odoo/odoo-bin"})
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("New with %q = %v, want an error saying %q", tt.conf, err, tt.says)
		}
	}
	if _, err := New(Config{ConfFile: filepath.Join(dir, "none.conf")}); err == nil || !strings.Contains(err.Error(), "erp.odoo.config") {
		t.Errorf("New with a missing file = %v, want one naming erp.odoo.config", err)
	}
}

func TestCannotDisable(t *testing.T) {
	in := newInstance(t)
	err := in.adapter.Update(ctxT(t), erp.UpdateRequest{Disable: []string{"upk_lamp"}}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "uninstalling deletes") {
		t.Errorf("Update with Disable = %v, want a refusal naming the data loss", err)
	}
}

// TestSwappedFolderTakesTheAddonsOwner: a module folder the agent (root)
// unpacked gets the owner of its addons folder before odoo-bin runs.
func TestSwappedFolderTakesTheAddonsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	in := newInstance(t)
	custom := filepath.Dir(must(in.adapter.ModuleDir("upk_shelf")))
	if err := os.Chown(custom, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	swap(t, in.adapter, "upk_shelf", shelfFolder(t, "17.0.1.1.0", "", nil))
	if err := in.adapter.Update(ctxT(t), erp.UpdateRequest{Modules: []string{"upk_shelf"}}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	parent, _ := os.Stat(custom)
	err := filepath.WalkDir(filepath.Join(custom, "upk_shelf"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, _ := d.Info(); !platform.SameOwner(info, parent) {
			t.Errorf("%s keeps its old owner", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

// TestCloneIsANeutralisedCopy: the copy has its own database, filestore,
// addons folder, configuration and port; Neutralize switches its jobs and
// mail servers off; production's database and filestore are untouched.
func TestCloneIsANeutralisedCopy(t *testing.T) {
	in := newInstance(t)
	a := in.adapter
	before, err := dbcopy.Postgres{URL: in.dbURL}.Checksum(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w, cleanup, err := a.Clone(ctxT(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	clone := w.(*Adapter)
	if clone.cfg.Database == a.cfg.Database || clone.Filestore() == a.Filestore() || clone.url == a.url || !strings.HasPrefix(clone.cfg.ModulesDir, dir) {
		t.Fatalf("the copy shares production's database, filestore, port or addons: %+v", clone.cfg)
	}
	if got, err := os.ReadFile(filepath.Join(clone.Filestore(), "ab/ab12")); err != nil || string(got) != "an old attachment\n" {
		t.Errorf("the copy's filestore: %q, %v", got, err)
	}
	if err := clone.Neutralize(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{"SELECT count(*) FROM ir_cron WHERE active": "0", "SELECT count(*) FROM ir_mail_server WHERE active": "0"} {
		if v, err := clone.QueryValue(ctxT(t), q); err != nil || v != want {
			t.Errorf("copy: %s = %q, %v; want %s", q, v, err, want)
		}
		if v, err := a.QueryValue(ctxT(t), q); err != nil || v == "0" {
			t.Errorf("production: %s = %q, %v; want it untouched", q, v, err)
		}
	}
	if err := clone.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := waitHealth(t, clone); err != nil {
		t.Fatalf("the copy's health: %v", err)
	}
	if err := cleanup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := clone.QueryValue(ctxT(t), "SELECT 1"); err == nil {
		t.Error("the copy's database is still there after cleanup")
	}
	if after, err := (dbcopy.Postgres{URL: in.dbURL}).Checksum(ctxT(t)); err != nil || after != before {
		t.Errorf("production's database changed: %s, then %s (%v)", before, after, err)
	}
}
