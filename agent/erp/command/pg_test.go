package command_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/command"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/pgtest"
)

// pgServer is the machine's PostgreSQL (scripts/ensure-services.sh starts it).
const pgServer = pgtest.Server

// odooSchema is a small OpenERP-style database: the module registry, the
// settings tables and some business data.
const odooSchema = `
CREATE TABLE ir_module_module (
	id             serial PRIMARY KEY,
	name           varchar NOT NULL UNIQUE,
	state          varchar NOT NULL,
	latest_version varchar,
	write_date     timestamp DEFAULT now()
);
CREATE TABLE ir_config_parameter (
	id          serial PRIMARY KEY,
	key         varchar NOT NULL UNIQUE,
	value       text NOT NULL,
	create_date timestamp DEFAULT now(),
	write_date  timestamp DEFAULT now()
);
CREATE TABLE ir_ui_menu (
	id         integer PRIMARY KEY,
	name       jsonb NOT NULL,
	parent_id  integer REFERENCES ir_ui_menu (id),
	sequence   integer,
	active     boolean DEFAULT true,
	write_date timestamp DEFAULT now()
);
CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar NOT NULL);
CREATE TABLE sale_order (id serial PRIMARY KEY, partner_id integer REFERENCES res_partner (id), amount numeric(12, 2));
INSERT INTO ir_module_module (name, state, latest_version) VALUES
	('base', 'installed', '16.0.1.3'), ('sale', 'installed', '16.0.1.2.0'),
	('stock', 'installed', '16.0.1.1'), ('crm', 'installed', '16.0.1.0'), ('note', 'uninstalled', NULL);
INSERT INTO ir_config_parameter (key, value) VALUES ('web.base.url', 'http://localhost:8069'), ('database.uuid', 'a1b2');
INSERT INTO ir_ui_menu (id, name, parent_id, sequence) VALUES (1, '{"en_US": "Sales"}', NULL, 10), (2, '{"en_US": "Orders"}', 1, 10);
INSERT INTO res_partner (name) SELECT 'partner ' || g FROM generate_series(1, 20) g;
INSERT INTO sale_order (partner_id, amount) SELECT 1 + g % 20, g * 10.5 FROM generate_series(1, 50) g;
`

// odooModules are the module folders of the schema's installed modules
// and of note, which is not installed: Python manifests only.
var odooModules = map[string]map[string]string{
	"base":  {"__manifest__.py": "{'name': 'Base', 'version': '1.3', 'depends': [], 'installable': True}\n"},
	"sale":  {"__manifest__.py": "# -*- coding: utf-8 -*-\n{\n    'name': 'Sales',\n    'version': '16.0.1.2.0',\n    'depends': ['base'],\n}\n"},
	"stock": {"__openerp__.py": "{'name': 'Inventory', 'version': '1.1', 'depends': ('base',)}\n"},
	"crm":   {"__manifest__.py": "{'name': 'CRM', 'version': '1.0', 'depends': ['base']}\n"},
	"note":  {"__manifest__.py": "{'name': 'Notes', 'version': '1.0', 'depends': ['base']}\n"},
}

// odooSet is what Installed must report: Odoo's versions, the series in front.
var odooSet = map[string]string{"base": "16.0.1.3", "sale": "16.0.1.2.0", "stock": "16.0.1.1", "crm": "16.0.1.0"}

// pgDatabase creates a fresh database holding odooSchema and returns its
// URL; it is dropped with its copies at the end of the test.
func pgDatabase(t *testing.T) string {
	t.Helper()
	name := pgtest.Database(t, "command", "")
	conn := pgtest.Connect(t, name)
	if _, err := conn.Exec(ctxT(t), odooSchema); err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	return pgtest.URL(name)
}

// writeModules writes module folders (name → file → content) under root.
func writeModules(t *testing.T, root string, mods map[string]map[string]string) {
	t.Helper()
	for name, files := range mods {
		for file, body := range files {
			p := filepath.Join(root, name, file)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// odooInstance is an OpenERP-style ERP on PostgreSQL: the database, the
// addons folder, the update script and a server stand-in with /health.
func odooInstance(t *testing.T) (*command.Adapter, string) {
	t.Helper()
	dbURL := pgDatabase(t)
	dir := t.TempDir()
	addons := filepath.Join(dir, "addons")
	writeModules(t, addons, odooModules)
	script, err := filepath.Abs(filepath.Join("testdata", "odoo-update.sh"))
	if err != nil {
		t.Fatal(err)
	}
	addr, pidfile := erptest.FreeAddr(t), filepath.Join(dir, "odoo.pid")
	srv, err := proc.New(proc.Config{PIDFile: pidfile, Start: []string{self(t), modeServe, addr, pidfile, dbURL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Errorf("stop the server: %v", err)
		}
	})
	c := config.Command{
		Database:   dbURL,
		ModulesDir: addons,
		Update:     []string{"sh", script, "-u", "{modules}", "-i", "{install}", "--disable", "{disable}"},
		Health:     []string{self(t), modeHealth, "http://" + addr + "/health"},
	}
	return newAdapter(t, c, srv), dbURL
}

// saleFolder writes a sale folder at version with upgrade.sql.
func saleFolder(t *testing.T, version, upgrade string) string {
	t.Helper()
	root := t.TempDir()
	writeModules(t, root, map[string]map[string]string{"sale": {
		"__manifest__.py": "{'name': 'Sales', 'version': '" + version + "', 'depends': ['base']}\n",
		"upgrade.sql":     upgrade,
	}})
	return filepath.Join(root, "sale")
}

func TestPostgresConformance(t *testing.T) {
	erptest.Run(t, func(t *testing.T) erptest.Fixture {
		a, dbURL := odooInstance(t)
		return erptest.Fixture{
			Reader: a,
			Want:   odooSet,
			Broken: func(t *testing.T) erp.Reader {
				c := config.Command{Database: dbURL + "_missing", ModulesDir: t.TempDir(), Update: []string{"true", "{modules}"}}
				return newAdapter(t, c, demoServer(t, t.TempDir(), "127.0.0.1:1"))
			},
		}
	})
}

func TestPostgresWriterConformance(t *testing.T) {
	erptest.RunWriter(t, func(t *testing.T) erptest.WriterFixture {
		a, dbURL := odooInstance(t)
		return erptest.WriterFixture{
			Writer: a,
			Checksum: func(t *testing.T) string {
				sum, err := dbcopy.Postgres{URL: dbURL}.Checksum(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return sum
			},
			NewVersion: func(t *testing.T) (string, string, catalog.Version) {
				return "sale", saleFolder(t, "16.0.1.3.0", "ALTER TABLE sale_order ADD COLUMN note text;\n"), catalog.MustParseVersion("16.0.1.3.0")
			},
			NewColumn: "SELECT count(note) FROM sale_order",
			BrokenVersion: func(t *testing.T) (string, string) {
				return "sale", saleFolder(t, "16.0.1.4.0", "UPDATE upkeep_no_such_table SET x = 1;\n")
			},
			Disableable: "crm",
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
				if _, err := conn.Exec(ctxT(t), "ALTER TABLE res_partner ADD COLUMN damaged int"); err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}

func TestPostgresSettings(t *testing.T) {
	a, _ := odooInstance(t)
	s, err := a.Settings(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ir_config_parameter/web.base.url":  "value=http://localhost:8069",
		"ir_config_parameter/database.uuid": "value=a1b2",
		"ir_ui_menu/1":                      `name={"en_US": "Sales"}; parent_id=NULL; sequence=10; active=true`,
		"ir_ui_menu/2":                      `name={"en_US": "Orders"}; parent_id=1; sequence=10; active=true`,
	}
	if !maps.Equal(s, want) {
		t.Errorf("Settings = %q\nwant %q", s, want)
	}
	// A write that changes nothing but the audit columns is no drift.
	if err := a.ExecSQL(ctxT(t), "UPDATE ir_ui_menu SET write_date = now() + interval '1 day'; UPDATE ir_config_parameter SET write_date = now()"); err != nil {
		t.Fatal(err)
	}
	if again, err := a.Settings(ctxT(t)); err != nil || !maps.Equal(again, want) {
		t.Errorf("after touching write_date: %q, %v", again, err)
	}
}
