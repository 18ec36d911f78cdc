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
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3" // the "sqlite3" database/sql driver
)

// modulesSQL lists the installed modules. Besides "activated", a module
// marked "to upgrade" or "to remove" (by the module wizard, before
// trytond-admin ran) is still installed: its tables and code are in use.
const modulesSQL = `SELECT name FROM ir_module
	WHERE state IN ('activated', 'to upgrade', 'to remove') ORDER BY name`

// pgConnectTimeout bounds the connection to PostgreSQL, so that an
// unreachable server fails fast rather than at the caller's deadline.
const pgConnectTimeout = 10 * time.Second

// installedNames reads the names of the installed modules from ir_module,
// without writing to the database.
func installedNames(ctx context.Context, t dbTarget) ([]string, error) {
	if t.backend == backendSQLite {
		return sqliteNames(ctx, t)
	}
	return postgresNames(ctx, t)
}

func sqliteNames(ctx context.Context, t dbTarget) ([]string, error) {
	if _, err := os.Stat(t.file); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("tryton: %s does not exist: check the database name (erp.tryton.database) and [database] path (%s)", t, t.origin)
		}
		return nil, fmt.Errorf("tryton: stat %s: %w", t, err)
	}
	dsn := "file:" + (&url.URL{Path: t.file}).EscapedPath() + "?mode=ro&_busy_timeout=5000"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("tryton: open %s: %w", t, err)
	}
	defer db.Close()
	names, err := queryNames(ctx, db)
	if err != nil {
		return nil, sqliteError(t, "query ir_module", err)
	}
	return names, nil
}

// sqliteError explains err, which op on t returned.
func sqliteError(t dbTarget, op string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "no such table"):
		return notTryton(t, err)
	case strings.Contains(msg, "not a database"):
		return fmt.Errorf("tryton: %s is not an SQLite database: check [database] path (%s) and the database name: %w", t, t.origin, err)
	}
	return fmt.Errorf("tryton: %s in %s: %w", op, t, err)
}

func notTryton(t dbTarget, err error) error {
	return fmt.Errorf("tryton: %s has no ir_module table: it is not a Tryton database, or was never initialised (trytond-admin -c CONF -d DB --all); check the database name: %w", t, err)
}

func postgresNames(ctx context.Context, t dbTarget) ([]string, error) {
	cfg, err := pgx.ParseConfig(t.pgURL.String())
	if err != nil {
		return nil, fmt.Errorf("tryton: %s: the uri is not a valid PostgreSQL address: %w", t.origin, err)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > pgConnectTimeout {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	// The whole session is read-only: the reader never changes the ERP.
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["application_name"] = "upkeep"
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	names, err := queryNames(ctx, db)
	if err != nil {
		return nil, postgresError(t, "query ir_module", err)
	}
	return names, nil
}

// postgresError explains err, which op on t returned.
func postgresError(t dbTarget, op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "3D000": // invalid_catalog_name
			return fmt.Errorf("tryton: %s does not exist: check the database name (erp.tryton.database) and [database] uri (%s): %w", t, t.origin, err)
		case "42P01": // undefined_table
			return notTryton(t, err)
		case "28P01", "28000": // invalid_password, invalid_authorization_specification
			return fmt.Errorf("tryton: PostgreSQL refused the login to %s: check the user and password in [database] uri (%s) and pg_hba.conf: %w", t, t.origin, err)
		}
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return fmt.Errorf("tryton: cannot connect to %s: is PostgreSQL running and accepting connections (pg_lsclusters)? check host and port in [database] uri (%s): %w", t, t.origin, err)
	}
	return fmt.Errorf("tryton: %s in %s: %w", op, t, err)
}

func queryNames(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, modulesSQL)
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
