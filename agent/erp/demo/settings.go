package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// Settings snapshots the menu tree (ir_ui_menu), the settings table and
// every module's *_settings table as "TABLE/KEY" → "column=value, …", the
// key being each row's first column.
func (w *Writer) Settings(ctx context.Context) (map[string]string, error) {
	db, err := w.open("mode=ro&_busy_timeout=10000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var tables []string
	err = db.SelectContext(ctx, &tables, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND (name IN ('ir_ui_menu', 'settings') OR name LIKE '%\_settings' ESCAPE '\') ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("demo ERP settings: list the tables: %w", err)
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("demo ERP settings: %s has no ir_ui_menu or settings table: is it a demo ERP database?", w.dbPath())
	}
	out := map[string]string{}
	for _, t := range tables {
		if err := snapshotTable(ctx, db, t, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// snapshotTable adds the rows of table to out.
func snapshotTable(ctx context.Context, db *sqlx.DB, table string, out map[string]string) error {
	rows, err := db.QueryxContext(ctx, "SELECT * FROM "+dbcopy.QuoteIdent(table))
	if err != nil {
		return fmt.Errorf("demo ERP settings: read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("demo ERP settings: read %s: %w", table, err)
	}
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return fmt.Errorf("demo ERP settings: read %s: %w", table, err)
		}
		parts := make([]string, 0, len(cols)-1)
		for i := 1; i < len(cols); i++ {
			parts = append(parts, cols[i]+"="+formatValue(vals[i]))
		}
		out[table+"/"+formatValue(vals[0])] = strings.Join(parts, ", ")
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("demo ERP settings: read %s: %w", table, err)
	}
	return nil
}
