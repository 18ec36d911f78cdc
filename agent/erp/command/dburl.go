package command

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3" // the "sqlite3" database/sql driver

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// pgConnectTimeout bounds a connection to PostgreSQL, so that an
// unreachable server fails fast rather than at the caller's deadline.
const pgConnectTimeout = 10 * time.Second

// database is the ERP database: a SQLite file or a PostgreSQL URL.
type database struct {
	sqlite string // the file, for sqlite:///path
	pg     string // the URL, for postgres(ql)://
}

// parseDatabase reads erp.command.database (already checked by
// config.Command.Check).
func parseDatabase(raw string) (database, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return database{}, fmt.Errorf("erp.command.database does not parse: %w", err)
	}
	if u.Scheme != "sqlite" {
		return database{pg: raw}, nil
	}
	p := u.Path
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // sqlite:///C:/erp/erp.sqlite: a drive path
	}
	return database{sqlite: filepath.Clean(filepath.FromSlash(p))}, nil
}

// String names the database for messages, without a password.
func (d database) String() string {
	if d.sqlite != "" {
		return d.sqlite
	}
	if u, err := url.Parse(d.pg); err == nil {
		return u.Redacted()
	}
	return "(the PostgreSQL URL in erp.command.database)"
}

// postgres is the dbcopy view of a PostgreSQL database.
func (d database) postgres() dbcopy.Postgres { return dbcopy.Postgres{URL: d.pg} }

// open opens the database; readOnly sessions cannot change it. A SQLite
// file must exist: opening never creates one.
func (d database) open(ctx context.Context, readOnly bool) (*sql.DB, error) {
	if d.sqlite != "" {
		return d.openSQLite(ctx, readOnly)
	}
	cfg, err := pgx.ParseConfig(d.pg)
	if err != nil {
		return nil, fmt.Errorf("erp.command.database %s is not a valid PostgreSQL URL: %w", d, err)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > pgConnectTimeout {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	cfg.RuntimeParams["application_name"] = "upkeep"
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to the ERP database %s: %w; is PostgreSQL running, and are the database name and role in erp.command.database right?", d, err)
	}
	return db, nil
}

func (d database) openSQLite(ctx context.Context, readOnly bool) (*sql.DB, error) {
	if _, err := os.Stat(d.sqlite); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the ERP database %s does not exist: check erp.command.database", d.sqlite)
	} else if err != nil {
		return nil, fmt.Errorf("stat the ERP database: %w", err)
	}
	params := "mode=rw&_busy_timeout=10000&_txlock=immediate"
	if readOnly {
		params = "mode=ro&_busy_timeout=10000"
	}
	db, err := sql.Open("sqlite3", sqliteDSN(d.sqlite, params))
	if err != nil {
		return nil, fmt.Errorf("open the database %s: %w", d.sqlite, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open the ERP database %s: %w; check that it is a SQLite file this user can read and write", d.sqlite, err)
	}
	return db, nil
}

// tableExistsSQL is the dialect's query for whether table $1 exists.
func (d database) tableExistsSQL() string {
	if d.sqlite != "" {
		return "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	}
	return "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
}

// sqliteDSN returns the go-sqlite3 URI of the file at path with params.
func sqliteDSN(path, params string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	return "file://" + (&url.URL{Path: p}).EscapedPath() + "?" + params
}
