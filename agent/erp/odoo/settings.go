package odoo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// settingsQueries snapshot what an update should not change: the system
// parameters (but the ones Odoo rewrites itself) and the menus.
var settingsQueries = []struct{ table, query string }{
	{"ir_config_parameter", `SELECT key, value FROM ir_config_parameter
		WHERE key NOT IN ('database.expiration_date', 'database.expiration_reason') ORDER BY key`},
	{"ir_ui_menu", `SELECT id::text, concat_ws('; ', 'name=' || name::text, 'parent=' || COALESCE(parent_id::text, ''),
		'action=' || COALESCE(action, ''), 'active=' || active::text, 'sequence=' || COALESCE(sequence::text, '')) FROM ir_ui_menu ORDER BY id`},
}

// Settings snapshots ir_config_parameter ("ir_config_parameter/KEY" → value)
// and ir_ui_menu ("ir_ui_menu/ID" → its name, parent, action, active and
// sequence).
func (a *Adapter) Settings(ctx context.Context) (map[string]string, error) {
	db, err := a.open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := map[string]string{}
	for _, s := range settingsQueries {
		if err := snapshot(ctx, db, s.table, s.query, out); err != nil {
			return nil, fmt.Errorf("odoo: read the settings in %s: %w", a.cfg.Database, err)
		}
	}
	return out, nil
}

// snapshot adds query's (key, value) rows to out as "table/key".
func snapshot(ctx context.Context, db *sql.DB, table, query string, out map[string]string) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v any
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		out[table+"/"+dbcopy.Text(k)] = strings.TrimSpace(dbcopy.Text(v))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}
