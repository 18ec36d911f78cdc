package command

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// BackupRoom is the room a backup needs in dir, by its method (see
// erp.BackupRoomer).
func (a *Adapter) BackupRoom(ctx context.Context, dir string) (int64, error) {
	if a.db.sqlite != "" {
		return dbcopy.SQLiteRoom(a.db.sqlite, dir)
	}
	return a.db.postgres().BackupRoom(ctx, dir)
}

// BackupSize is the database's size: the SQLite file and its journals, or
// pg_database_size.
func (a *Adapter) BackupSize(ctx context.Context) (int64, error) {
	if a.db.sqlite != "" {
		return dbcopy.SQLiteSize(a.db.sqlite)
	}
	return a.db.postgres().Size(ctx)
}

// Backup copies the stopped ERP's database: a verified byte copy of a
// SQLite file into dir, or a PostgreSQL template copy on the same cluster.
func (a *Adapter) Backup(ctx context.Context, dir string) (erp.Backup, error) {
	if a.db.sqlite != "" {
		return dbcopy.BackupSQLite(ctx, a.db.sqlite, dir)
	}
	return a.db.postgres().Backup(ctx, dir)
}

// Restore replaces the live database with b after checking b's checksum.
func (a *Adapter) Restore(ctx context.Context, b erp.Backup) error {
	if a.db.sqlite != "" {
		return dbcopy.RestoreSQLite(b, a.db.sqlite)
	}
	return a.db.postgres().Restore(ctx, b)
}

// DropBackup drops a PostgreSQL template copy; a SQLite backup lives in its
// folder only, which the runner removes.
func (a *Adapter) DropBackup(ctx context.Context, b erp.Backup) error {
	if a.db.sqlite != "" {
		return nil
	}
	return a.db.postgres().Drop(ctx, b)
}

// ExecSQL runs script in one transaction: all of it, or none of it.
func (a *Adapter) ExecSQL(ctx context.Context, script string) error {
	db, err := a.db.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	return dbcopy.ExecScript(ctx, db, script, func(step string, err error) error {
		return fmt.Errorf("%s on %s: %w; fix the script", step, a.db, err)
	})
}

// QueryValue runs query in a read-only session and returns the first
// column of its first row as text ("" for NULL).
func (a *Adapter) QueryValue(ctx context.Context, query string) (string, error) {
	db, err := a.db.open(ctx, true)
	if err != nil {
		return "", err
	}
	defer db.Close()
	v, err := dbcopy.QueryValue(ctx, db, query)
	if errors.Is(err, dbcopy.ErrNoRow) {
		return "", fmt.Errorf("query %q on %s returned no row: write a query that returns one value", query, a.db)
	}
	if err != nil {
		return "", fmt.Errorf("query %q on %s: %w", query, a.db, err)
	}
	return v, nil
}

// settingsTables are the OpenERP tables whose content an update should not
// change, with the column that names a row.
var settingsTables = []struct{ table, key string }{
	{"ir_config_parameter", "key"},
	{"ir_ui_menu", "id"},
}

// auditColumns change on every write, so they are left out of Settings.
var auditColumns = map[string]bool{"create_uid": true, "create_date": true, "write_uid": true, "write_date": true}

// Settings snapshots ir_config_parameter and ir_ui_menu, when they exist:
// "TABLE/KEY" → the row's other columns as "col=value; …", leaving out the
// audit columns (write_date…) and a surrogate id that is not the key.
func (a *Adapter) Settings(ctx context.Context) (map[string]string, error) {
	db, err := a.db.open(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := map[string]string{}
	for _, st := range settingsTables {
		var n int
		if err := db.QueryRowContext(ctx, a.db.tableExistsSQL(), st.table).Scan(&n); err != nil {
			return nil, fmt.Errorf("look for table %s in %s: %w", st.table, a.db, err)
		}
		if n == 0 {
			continue
		}
		if err := snapshot(ctx, db, st.table, st.key, out); err != nil {
			return nil, fmt.Errorf("read the settings in %s: %w", a.db, err)
		}
	}
	return out, nil
}

// snapshot adds the rows of table to out, keyed by their key column (or
// the whole row when the table has none).
func snapshot(ctx context.Context, db *sql.DB, table, key string, out map[string]string) error {
	rows, err := db.QueryContext(ctx, "SELECT * FROM "+dbcopy.QuoteIdent(table))
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("read %s: columns: %w", table, err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		name, value := settingsRow(cols, vals, key)
		out[table+"/"+name] = value
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// settingsRow renders one row: its key column's value (or the whole row
// when there is none) and its other columns as "col=value; …".
func settingsRow(cols []string, vals []any, key string) (name, value string) {
	row := make([]string, 0, len(cols))
	for i, c := range cols {
		switch {
		case c == key:
			name = dbcopy.Text(vals[i])
		case auditColumns[c] || c == "id":
		case vals[i] == nil:
			row = append(row, c+"=NULL")
		default:
			row = append(row, c+"="+dbcopy.Text(vals[i]))
		}
	}
	value = strings.Join(row, "; ")
	if name == "" {
		name = value
	}
	return name, value
}
