package dbcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNoRow is QueryValue's error when the query returns no row.
var ErrNoRow = errors.New("the query returned no row")

// ExecScript runs script (one or more statements) on db in one
// transaction: all of it, or none of it. wrap turns the failed step (the
// words say which) and its error into the caller's error.
func ExecScript(ctx context.Context, db *sql.DB, script string, wrap func(step string, err error) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return wrap("begin the script's transaction", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return wrap("run the SQL script (rolled back: nothing of it stays)", err)
	}
	if err := tx.Commit(); err != nil {
		return wrap("commit the SQL script", err)
	}
	return nil
}

// QueryValue runs query on db and returns the first column of its first
// row as Text ("" for NULL), or ErrNoRow. The caller wraps the error.
func QueryValue(ctx context.Context, db *sql.DB, query string) (string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", err
		}
		return "", ErrNoRow
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", err
	}
	return Text(vals[0]), nil
}

// Text renders a value read over database/sql: "" for NULL, times in
// RFC 3339 (UTC), numbers in their shortest form.
func Text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
