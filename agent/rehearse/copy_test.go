package rehearse_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/rehearse"
)

// TestSnapshotSQLiteBesideAWriter copies a database while another
// connection holds an uncommitted write: the copy has the committed rows
// only, and the live file's bytes never change.
func TestSnapshotSQLiteBesideAWriter(t *testing.T) {
	ctx := t.Context()
	live := filepath.Join(t.TempDir(), "erp.sqlite")
	db, err := sqlx.Open("sqlite3", "file:"+live+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE partner (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO partner (name) VALUES ('a'), ('b')"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO partner (name) VALUES ('uncommitted')"); err != nil {
		t.Fatal(err)
	}
	before, _, _ := dbcopy.FileSHA256(live)
	dst := filepath.Join(t.TempDir(), "copy.sqlite")
	if err := rehearse.SnapshotSQLite(ctx, live, dst); err != nil {
		t.Fatal(err)
	}
	if after, _, _ := dbcopy.FileSHA256(live); after != before {
		t.Error("the live database file changed")
	}
	cp, err := sqlx.Open("sqlite3", "file:"+dst+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var n int
	if err := cp.Get(&n, "SELECT count(*) FROM partner"); err != nil || n != 2 {
		t.Errorf("the copy holds %d partners (%v), want the 2 committed", n, err)
	}
	if err := rehearse.SnapshotSQLite(ctx, live, dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second snapshot onto the copy: %v", err)
	}
	if err := rehearse.SnapshotSQLite(ctx, filepath.Join(t.TempDir(), "missing.sqlite"), filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("a snapshot of a missing database succeeded")
	}
}

// TestCopyTree copies folders, modes and links, and refuses special files
// and an existing destination.
func TestCopyTree(t *testing.T) {
	src := filepath.Join(t.TempDir(), "addons")
	for p, body := range map[string]string{"core/upkeep.toml": "name = 'core'\n", "core/migrations/1.0/a.sh": "echo\n", "arp/schema.sql": ""} {
		full := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(src, "core/migrations/1.0/a.sh"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../core", filepath.Join(src, "arp", "core-link")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if err := rehearse.CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dst, "core/migrations/1.0/a.sh")); err != nil || st.Mode().Perm() != 0o750 {
		t.Errorf("the script's copy: %v, %v; want mode 0750", st, err)
	}
	if data, err := os.ReadFile(filepath.Join(dst, "core/upkeep.toml")); err != nil || string(data) != "name = 'core'\n" {
		t.Errorf("the manifest's copy: %q, %v", data, err)
	}
	if target, err := os.Readlink(filepath.Join(dst, "arp", "core-link")); err != nil || target != "../core" {
		t.Errorf("the link's copy points to %q (%v)", target, err)
	}
	if err := rehearse.CopyTree(src, dst); err == nil {
		t.Error("a copy onto an existing folder succeeded")
	}
	if err := syscall.Mkfifo(filepath.Join(src, "arp", "pipe"), 0o600); err != nil {
		t.Skip("no fifo here:", err)
	}
	if err := rehearse.CopyTree(src, filepath.Join(t.TempDir(), "again")); err == nil || !strings.Contains(err.Error(), "pipe") {
		t.Errorf("a copy of a folder holding a fifo: %v", err)
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"port": "8123", "dir": "/tmp/copy", "database": "erp_copy"}
	got, err := rehearse.Expand([]string{"odoo-bin", "--http-port={port}", "-d", "{database}", "-u", "{modules}", "--data-dir={dir}/data"}, vars, "modules")
	want := "odoo-bin --http-port=8123 -d erp_copy -u {modules} --data-dir=/tmp/copy/data"
	if err != nil || strings.Join(got, " ") != want {
		t.Errorf("Expand = %q, %v; want %q", got, err, want)
	}
	if _, err := rehearse.Expand([]string{"--port={prot}"}, vars); err == nil || !strings.Contains(err.Error(), "{prot}") || !strings.Contains(err.Error(), "{port}") {
		t.Errorf("an unknown placeholder: %v; want it named with the known ones", err)
	}
	if got, err := rehearse.Expand([]string{`{"json": 1}`}, vars); err != nil || got[0] != `{"json": 1}` {
		t.Errorf("braces that are no placeholder: %q, %v", got, err)
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"--port={port}", "{dir}/{dir}", "{modules}", "{", "}{port", "{PORT}", "{{port}}", ""} {
		f.Add(s, "8069")
	}
	f.Fuzz(func(t *testing.T, arg, port string) {
		if strings.Contains(port, "{") {
			return
		}
		out, err := rehearse.Expand([]string{arg}, map[string]string{"port": port}, "modules")
		if err != nil {
			return
		}
		if len(out) != 1 || strings.Contains(out[0], "{port}") && !strings.Contains(arg, "{{port}") {
			t.Errorf("Expand(%q) = %q: {port} left in", arg, out)
		}
	})
}

func TestFreeLoopbackAddr(t *testing.T) {
	a, err := rehearse.FreeLoopbackAddr()
	if err != nil || !strings.HasPrefix(a, "127.0.0.1:") || strings.HasSuffix(a, ":0") {
		t.Errorf("FreeLoopbackAddr = %q, %v", a, err)
	}
}
