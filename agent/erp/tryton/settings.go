package tryton

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// configTable matches Tryton's configuration singletons and their
// multi-value tables: ir_configuration, party_configuration,
// party_configuration_party_sequence, account_configuration_…
var configTable = regexp.MustCompile(`^(ir_configuration|[a-z0-9_]+_configuration(_[a-z0-9_]+)?)$`)

// auditColumns change on every write; the snapshot leaves them out.
var auditColumns = map[string]bool{"id": true, "create_uid": true, "create_date": true, "write_uid": true, "write_date": true}

// Settings implements erp.Writer: what an update should not change, as
// key → value. The menu tree (ir_ui_menu: name, parent, sequence, active,
// icon; each menu named by its XML id MODULE.FS_ID, else #ID), and every
// column of every configuration table row (TABLE[ID].COLUMN).
func (w *Writer) Settings(ctx context.Context) (map[string]string, error) {
	db, err := w.openDB(true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := map[string]string{}
	if err := menus(ctx, db, out); err != nil {
		return nil, w.sqlErr("read the menus (ir_ui_menu)", err)
	}
	tables, err := w.tables(ctx, db)
	if err != nil {
		return nil, w.sqlErr("list the tables", err)
	}
	for _, t := range tables {
		if configTable.MatchString(t) {
			if err := configRows(ctx, db, t, out); err != nil {
				return nil, w.sqlErr("read "+t, err)
			}
		}
	}
	return out, nil
}

const menuSQL = `SELECT m.id, coalesce(m.name, ''), coalesce(m.parent, 0), coalesce(m.sequence, 0), m.active, coalesce(m.icon, ''),
	coalesce((SELECT min(d.module || '.' || d.fs_id) FROM ir_model_data d WHERE d.model = 'ir.ui.menu' AND d.db_id = m.id), '')
	FROM ir_ui_menu m ORDER BY m.id`

type menu struct {
	id, parent, sequence int64
	name, icon, ref      string
	active               any
}

// menus adds the menu tree to out.
func menus(ctx context.Context, db *sql.DB, out map[string]string) error {
	rows, err := db.QueryContext(ctx, menuSQL)
	if err != nil {
		return err
	}
	defer rows.Close()
	var all []menu
	refs := map[int64]string{}
	for rows.Next() {
		var m menu
		if err := rows.Scan(&m.id, &m.name, &m.parent, &m.sequence, &m.active, &m.icon, &m.ref); err != nil {
			return err
		}
		if m.ref == "" {
			m.ref = "#" + strconv.FormatInt(m.id, 10)
		}
		refs[m.id] = m.ref
		all = append(all, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range all {
		key := "ir_ui_menu[" + m.ref + "]."
		out[key+"name"] = m.name
		out[key+"parent"] = refs[m.parent]
		out[key+"sequence"] = strconv.FormatInt(m.sequence, 10)
		out[key+"active"] = boolText(m.active)
		out[key+"icon"] = m.icon
	}
	return nil
}

// boolText renders a Boolean as stored by either backend (SQLite 0/1).
func boolText(v any) string {
	switch s := dbcopy.Text(v); s {
	case "1", "true":
		return "true"
	case "0", "false", "":
		return "false"
	default:
		return s
	}
}

// tables lists the database's tables (PostgreSQL: in the current schema).
func (w *Writer) tables(ctx context.Context, db *sql.DB) ([]string, error) {
	q := `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`
	if w.db.backend == backendSQLite {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// configRows adds every column but the audit ones of every row of table.
func configRows(ctx context.Context, db *sql.DB, table string, out map[string]string) error {
	rows, err := db.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for n := 0; rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		id := strconv.Itoa(n)
		for i, c := range cols {
			if c == "id" {
				id = dbcopy.Text(vals[i])
			}
		}
		for i, c := range cols {
			if !auditColumns[c] {
				out[fmt.Sprintf("%s[%s].%s", table, id, c)] = dbcopy.Text(vals[i])
			}
		}
	}
	return rows.Err()
}
