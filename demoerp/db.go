package demoerp

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver

	"github.com/upkeep-erp/upkeep/catalog"
)

// models holds the demo ERP's own model code for the sample modules (the
// sample archives' schema.sql only create a marker table): models/<module>.sql
// runs before the module's schema.sql on every install and update.
//
//go:embed models/*.sql
var models embed.FS

// platformSchema is what init creates before any module: the module registry.
const platformSchema = `
CREATE TABLE ir_module_module (
	name           TEXT PRIMARY KEY,
	state          TEXT NOT NULL CHECK (state IN ('installed', 'uninstalled', 'to upgrade', 'disabled')),
	latest_version TEXT
);`

// DSN returns the go-sqlite3 data source name of the database file at path
// with the given query parameters (e.g. "mode=ro").
func DSN(path, params string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	return "file://" + (&url.URL{Path: p}).EscapedPath() + "?" + params
}

const writeParams = "_busy_timeout=10000&_foreign_keys=on&_synchronous=FULL&_txlock=immediate"

// openDB opens the instance's database: mode "rw" (it must exist), "ro" or "rwc" (init).
func openDB(ctx context.Context, dir, mode string) (*sqlx.DB, error) {
	if mode != "rwc" {
		if err := requireDB(dir); err != nil {
			return nil, err
		}
	}
	params := "mode=" + mode + "&_busy_timeout=10000"
	if mode != "ro" {
		params = "mode=" + mode + "&" + writeParams
	}
	db, err := sqlx.Open("sqlite3", DSN(DBPath(dir), params))
	if err != nil {
		return nil, fmt.Errorf("sqlx.Open %s: %w", DBPath(dir), err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open the database %s: %w; check that it is a SQLite file this user can read", DBPath(dir), err)
	}
	return db, nil
}

// row is one row of ir_module_module.
type row struct {
	Name          string         `db:"name"`
	State         string         `db:"state"`
	LatestVersion sql.NullString `db:"latest_version"`
}

// active reports whether the module counts as installed.
func (r row) active() bool { return r.State == StateInstalled || r.State == StateToUpgrade }

// readRows returns every row of ir_module_module, by name.
func readRows(ctx context.Context, q sqlx.QueryerContext) (map[string]row, error) {
	var rows []row
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT name, state, latest_version FROM ir_module_module ORDER BY name`); err != nil {
		return nil, fmt.Errorf("read ir_module_module: %w; is this a demo ERP database?", err)
	}
	out := make(map[string]row, len(rows))
	for _, r := range rows {
		out[r.Name] = r
	}
	return out, nil
}

// runModule runs module name's model code and schema.sql in one transaction
// and records it as installed at version m.Version.
func runModule(ctx context.Context, db *sqlx.DB, dir, name string, m *catalog.Manifest, install bool) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := execModuleSQL(ctx, tx, dir, name); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ir_module_module (name, state, latest_version) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET state = excluded.state, latest_version = excluded.latest_version`,
		name, StateInstalled, m.Version.String()); err != nil {
		return fmt.Errorf("record the module: %w", err)
	}
	if install {
		if err := setMenus(ctx, tx, name, true); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// execModuleSQL runs the built-in model of module name, if any, then its schema.sql, if any.
func execModuleSQL(ctx context.Context, tx *sqlx.Tx, dir, name string) error {
	model, err := models.ReadFile("models/" + name + ".sql")
	if err == nil {
		if _, err := tx.ExecContext(ctx, string(model)); err != nil {
			return fmt.Errorf("the demo ERP's model of %s: %w", name, err)
		}
	}
	p := filepath.Join(ModuleDir(dir, name), SchemaFile)
	schema, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if _, err := tx.ExecContext(ctx, string(schema)); err != nil {
		return fmt.Errorf("%s: %w; fix the module's SQL", p, err)
	}
	return nil
}

// setMenus shows or hides the menus of module name, when the menu table exists.
func setMenus(ctx context.Context, tx *sqlx.Tx, name string, on bool) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'ir_ui_menu'`); err != nil {
		return fmt.Errorf("look for ir_ui_menu: %w", err)
	}
	if n == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ir_ui_menu SET active = ? WHERE module = ?`, on, name); err != nil {
		return fmt.Errorf("update the menus of %s: %w", name, err)
	}
	return nil
}
