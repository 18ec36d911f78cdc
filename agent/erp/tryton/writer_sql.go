package tryton

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// openDB opens the instance's database over database/sql: SQLite (never
// creating the file) or PostgreSQL, read-only when asked.
func (w *Writer) openDB(readOnly bool) (*sql.DB, error) {
	t := w.db
	if t.backend == backendSQLite {
		if _, err := os.Stat(t.file); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("tryton: %s does not exist: check the database name (erp.tryton.database) and [database] path (%s)", t, t.origin)
			}
			return nil, fmt.Errorf("tryton: stat %s: %w", t, err)
		}
		mode := "rw&_txlock=immediate"
		if readOnly {
			mode = "ro"
		}
		db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: t.file}).EscapedPath()+"?_busy_timeout=10000&mode="+mode)
		if err != nil {
			return nil, fmt.Errorf("tryton: open %s: %w", t, err)
		}
		return db, nil
	}
	cfg, err := pgx.ParseConfig(t.pgURL.String())
	if err != nil {
		return nil, fmt.Errorf("tryton: %s: the uri is not a valid PostgreSQL address: %w", t.origin, err)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > pgConnectTimeout {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	cfg.RuntimeParams["application_name"] = "upkeep"
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	return stdlib.OpenDB(*cfg), nil
}

// sqlErr explains err from op: a refused or failed connection with what to
// check, anything else as the database said it.
func (w *Writer) sqlErr(op string, err error) error {
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	if w.db.backend == backendPostgres && (errors.As(err, &connErr) ||
		errors.As(err, &pgErr) && (pgErr.Code == "3D000" || pgErr.Code == "28P01" || pgErr.Code == "28000")) {
		return postgresError(w.db, op, err)
	}
	return fmt.Errorf("tryton: %s in %s: %w", op, w.db, err)
}

// ExecSQL implements erp.Database: the script, one or more statements,
// runs in one transaction; on any error nothing of it stays.
func (w *Writer) ExecSQL(ctx context.Context, script string) error {
	db, err := w.openDB(false)
	if err != nil {
		return err
	}
	defer db.Close()
	return dbcopy.ExecScript(ctx, db, script, w.sqlErr)
}

// QueryValue implements erp.Database: the first column of the first row,
// as text ("" for NULL). No row is an error.
func (w *Writer) QueryValue(ctx context.Context, query string) (string, error) {
	db, err := w.openDB(true)
	if err != nil {
		return "", err
	}
	defer db.Close()
	v, err := dbcopy.QueryValue(ctx, db, query)
	if errors.Is(err, dbcopy.ErrNoRow) {
		return "", fmt.Errorf("tryton: the query %q returned no row from %s", query, w.db)
	}
	if err != nil {
		return "", w.sqlErr("query", err)
	}
	return v, nil
}

// postgres is the dbcopy view of the PostgreSQL database.
func (w *Writer) postgres() dbcopy.Postgres {
	return dbcopy.Postgres{URL: w.db.pgURL.String(), Method: w.cfg.PGBackup}
}

// BackupSize implements erp.Database: the SQLite file (and its journals),
// or the PostgreSQL database's size.
func (w *Writer) BackupSize(ctx context.Context) (int64, error) {
	if w.db.backend == backendSQLite {
		return dbcopy.SQLiteSize(w.db.file)
	}
	return w.postgres().Size(ctx)
}

// BackupRoom implements erp.BackupRoomer: SQLite, nothing in dir when it
// clones the file, else its size; PostgreSQL, nothing for a clone on the
// cluster (whose own room it checks when it can), the size for a dump.
func (w *Writer) BackupRoom(ctx context.Context, dir string) (int64, error) {
	if w.db.backend == backendSQLite {
		return dbcopy.SQLiteRoom(w.db.file, dir)
	}
	return w.postgres().BackupRoom(ctx, dir)
}

// Backup implements erp.Database: SQLite, a verified byte copy in dir;
// PostgreSQL, a template clone or a pg_dump in dir (erp.tryton.pg_backup),
// its checksum compared with the live database's.
func (w *Writer) Backup(ctx context.Context, dir string) (erp.Backup, error) {
	if w.db.backend == backendSQLite {
		return dbcopy.BackupSQLite(ctx, w.db.file, dir)
	}
	return w.postgres().Backup(ctx, dir)
}

// Restore implements erp.Database; a damaged backup is refused before the
// live database is touched, and a restore cut short can run again.
func (w *Writer) Restore(ctx context.Context, b erp.Backup) error {
	if w.db.backend == backendSQLite {
		return dbcopy.RestoreSQLite(b, w.db.file)
	}
	return w.postgres().Restore(ctx, b)
}

// DropBackup implements erp.Database: drops a template clone; nothing
// else lives outside the backup folder.
func (w *Writer) DropBackup(ctx context.Context, b erp.Backup) error {
	if w.db.backend == backendSQLite {
		return nil
	}
	return w.postgres().Drop(ctx, b)
}

// markToRemove marks the activated modules among mods "to remove", as
// ir.module's Deactivate button does, and returns those now marked; a
// module already deactivated is skipped. It refuses, changing nothing,
// an unknown module or one that an activated module outside mods needs.
func (w *Writer) markToRemove(ctx context.Context, mods []string) ([]string, error) {
	db, err := w.openDB(false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, w.sqlErr("begin", err)
	}
	defer tx.Rollback()
	in := sqlList(mods) // the names passed checkModuleName: plain literals
	marked, err := moduleStates(ctx, tx, in, mods)
	if err != nil {
		return nil, w.sqlErr("read ir_module", err)
	}
	need, err := neededBy(ctx, tx, in)
	if err != nil {
		return nil, w.sqlErr("read ir_module_dependency", err)
	}
	if len(need) > 0 {
		return nil, fmt.Errorf("tryton: cannot deactivate %s: %s; deactivate those modules too (nothing was changed)", strings.Join(mods, ", "), strings.Join(need, ", "))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ir_module SET state = 'to remove' WHERE name IN (`+in+`) AND state IN ('activated', 'to upgrade')`); err != nil {
		return nil, w.sqlErr("mark modules to remove", err)
	}
	return marked, w.sqlErrIf("commit", tx.Commit())
}

func (w *Writer) sqlErrIf(op string, err error) error {
	if err != nil {
		return w.sqlErr(op, err)
	}
	return nil
}

// neededBy lists "USER needs USED" for every activated module outside the
// list in that depends on a module of it.
func neededBy(ctx context.Context, tx *sql.Tx, in string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.name, d.name FROM ir_module_dependency d JOIN ir_module m ON m.id = d.module
		WHERE d.name IN (`+in+`) AND m.state NOT IN ('not activated', 'to remove') AND m.name NOT IN (`+in+`) ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var need []string
	for rows.Next() {
		var user, used string
		if err := rows.Scan(&user, &used); err != nil {
			return nil, err
		}
		need = append(need, user+" needs "+used)
	}
	return need, rows.Err()
}

// moduleStates returns the modules of mods that are or will be marked to
// remove; an unknown module is an error.
func moduleStates(ctx context.Context, tx *sql.Tx, in string, mods []string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, state FROM ir_module WHERE name IN (`+in+`)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	state := map[string]string{}
	for rows.Next() {
		var n, s string
		if err := rows.Scan(&n, &s); err != nil {
			return nil, err
		}
		state[n] = s
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var marked []string
	for _, m := range mods {
		switch state[m] {
		case "":
			return nil, fmt.Errorf("module %s is not in ir_module: check the name", m)
		case "activated", "to upgrade", "to remove":
			marked = append(marked, m)
		}
	}
	return marked, nil
}

// sqlList renders names as an SQL list of string literals.
func sqlList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + strings.ReplaceAll(n, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}
