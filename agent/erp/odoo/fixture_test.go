package odoo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
)

// pgServer is the machine's PostgreSQL (scripts/ensure-services.sh starts it).
const pgServer = "postgres://postgres@127.0.0.1:5432/"

// schema is an Odoo-shaped database: the module registry as Odoo 17 fills
// it (latest_version with the series in front), the settings tables, a
// user for the health check's login, attachments and some business data.
const schema = `
CREATE TABLE ir_module_module (
	id serial PRIMARY KEY, name varchar NOT NULL UNIQUE, state varchar NOT NULL, latest_version varchar);
CREATE TABLE ir_config_parameter (id serial PRIMARY KEY, key varchar NOT NULL UNIQUE, value text NOT NULL);
CREATE TABLE ir_ui_menu (id integer PRIMARY KEY, name jsonb NOT NULL, parent_id integer REFERENCES ir_ui_menu (id),
	action varchar, active boolean DEFAULT true, sequence integer);
CREATE TABLE res_users (id serial PRIMARY KEY, login varchar NOT NULL UNIQUE, password varchar);
CREATE TABLE ir_attachment (id serial PRIMARY KEY, name varchar NOT NULL, store_fname varchar);
CREATE TABLE shelf_item (id serial PRIMARY KEY, title varchar NOT NULL);
CREATE TABLE ir_cron (id serial PRIMARY KEY, name varchar NOT NULL, active boolean DEFAULT true);
CREATE TABLE ir_mail_server (id serial PRIMARY KEY, name varchar NOT NULL, active boolean DEFAULT true);
INSERT INTO ir_cron (name) VALUES ('send reminders'), ('autovacuum');
INSERT INTO ir_mail_server (name) VALUES ('smtp.example.com');
INSERT INTO ir_module_module (name, state, latest_version) VALUES
	('base', 'installed', '17.0.1.3'), ('web', 'installed', '17.0.1.0'),
	('upk_shelf', 'installed', '17.0.1.0.0'), ('upk_lamp', 'installed', '17.0.1.0'),
	('upk_unused', 'uninstalled', NULL);
INSERT INTO ir_config_parameter (key, value) VALUES ('web.base.url', 'http://localhost:8069'), ('database.uuid', 'c3d4');
INSERT INTO ir_ui_menu (id, name, parent_id, action, sequence) VALUES (1, '{"en_US": "Shelf"}', NULL, NULL, 10),
	(2, '{"en_US": "Items"}', 1, 'ir.actions.act_window,7', 10);
INSERT INTO res_users (id, login, password) VALUES (1, '__system__', NULL), (2, 'admin', 'secret');
INSERT INTO ir_attachment (name, store_fname) VALUES ('old.txt', 'ab/ab12');
INSERT INTO shelf_item (title) SELECT 'item ' || g FROM generate_series(1, 30) g;
`

// installedSet is what Installed must report: the manifests' versions in
// full, as Odoo stores them.
var installedSet = map[string]string{"base": "17.0.1.3", "web": "17.0.1.0", "upk_shelf": "17.0.1.0.0", "upk_lamp": "17.0.1.0"}

// instance is an Odoo-shaped server on PostgreSQL, laid out as Odoo's
// tree is: odoo-bin with odoo/addons/base beside it, addons/web, a custom
// addons folder first in addons_path, data_dir with the database's
// filestore, the configuration file; the server is the stand-in.
type instance struct {
	adapter *Adapter
	dbURL   string
	dir     string
	cfg     Config
}

// writeFiles writes files (slash path → content) under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func newInstance(t *testing.T) *instance {
	t.Helper()
	dbURL, name := pgDatabase(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"server/odoo-bin":                         "# the test binary stands in for odoo-bin\n",
		"server/odoo/addons/base/__manifest__.py": "{'name': 'Base', 'version': '1.3', 'depends': []}\n",
		"server/addons/web/__manifest__.py":       "{'name': 'Web', 'version': '1.0', 'depends': ['base']}\n",
		"custom/upk_shelf/__manifest__.py":        "# an invented module\n{\n    'name': 'Shelf',\n    'version': '17.0.1.0.0',\n    'depends': ['base', 'web'],\n}\n",
		"custom/upk_lamp/__manifest__.py":         "{'name': 'Lamp', 'version': '1.0', 'depends': ('base',)}\n",
		"data/filestore/" + name + "/ab/ab12":     "an old attachment\n",
		"data/filestore/" + name + "/cd/cd34":     "another old attachment\n",
		"data/sessions/keep":                      "",
	})
	addr, pidfile := erptest.FreeAddr(t), filepath.Join(dir, "odoo.pid")
	conf := "[options]\naddons_path = " + filepath.Join(dir, "custom") + "," + filepath.Join(dir, "server/addons") +
		"\ndata_dir = " + filepath.Join(dir, "data") + "\ndb_host = 127.0.0.1\ndb_port = 5432\ndb_user = postgres\ndb_name = " + name +
		"\nhttp_interface = 127.0.0.1\nhttp_port = " + addr[len("127.0.0.1:"):] + "\n"
	writeFiles(t, dir, map[string]string{"odoo.conf": conf, "password": "secret\n"})
	srv, err := proc.New(proc.Config{PIDFile: pidfile, Start: []string{self(t), modeServe, addr, pidfile, dbURL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("stop the server: %v", err)
		}
	})
	cfg := Config{OdooBin: filepath.Join(dir, "server/odoo-bin"), Python: self(t), ConfFile: filepath.Join(dir, "odoo.conf"),
		Login: "admin", PasswordFile: filepath.Join(dir, "password"), Server: srv}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &instance{adapter: a, dbURL: dbURL, dir: dir, cfg: cfg}
}

// pgDatabase creates a fresh database holding schema: its URL and name.
func pgDatabase(t *testing.T) (string, string) {
	t.Helper()
	ctx := ctxT(t)
	admin, err := pgx.Connect(ctx, pgServer+"postgres")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: PostgreSQL is not reachable on 127.0.0.1:5432: %v", err)
		}
		t.Skipf("PostgreSQL is not reachable on 127.0.0.1:5432 as postgres (%v): run scripts/ensure-deps.sh", err)
	}
	defer admin.Close(context.Background())
	name := "odoo_" + randomHex(t)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropDatabases(t, name) })
	conn, err := pgx.Connect(ctx, pgServer+name)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, schema); err != nil {
		t.Fatal(err)
	}
	return pgServer + name, name
}

// dropDatabases drops name and every backup copy made of it.
func dropDatabases(t *testing.T, name string) {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgServer+"postgres")
	if err != nil {
		t.Errorf("drop %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $1 || '\\_upkeep%'", name)
	if err != nil {
		t.Errorf("list the databases of %s: %v", name, err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Errorf("list the databases of %s: %v", name, err)
	}
	for _, n := range names {
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", n, err)
		}
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// self is the test binary, which stands in for odoo-bin and the server.
func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}
