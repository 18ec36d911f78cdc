package dbcopy

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Queryer is what Checksum reads through: *sql.DB, *sql.Tx, *sqlx.DB.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Checksum returns "sha256:HEX" over the results of queries: for each, its
// text, its column names and its rows, the rows in an order that does not
// depend on how the database stores them. Two databases with the same
// content give the same checksum; any changed, added or removed row changes it.
func Checksum(ctx context.Context, q Queryer, queries ...string) (string, error) {
	h := sha256.New()
	for _, query := range queries {
		sum, err := hashQuery(ctx, q, query)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%d:%s\n%x\n", len(query), query, sum)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// TableQueries returns "SELECT * FROM t" for each table, the names quoted.
func TableQueries(tables []string) []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = "SELECT * FROM " + QuoteIdent(t)
	}
	return out
}

// QuoteIdent quotes an SQL identifier (SQLite and PostgreSQL alike).
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// hashQuery hashes one query's columns and its rows' sorted digests.
func hashQuery(ctx context.Context, q Queryer, query string) ([]byte, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("checksum: %s: %w", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("checksum: %s: columns: %w", query, err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var digests [][sha256.Size]byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("checksum: %s: scan: %w", query, err)
		}
		var b strings.Builder
		for _, v := range vals {
			fmt.Fprintf(&b, "%T:%v\x1f", v, v)
		}
		digests = append(digests, sha256.Sum256([]byte(b.String())))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checksum: %s: %w", query, err)
	}
	slices.SortFunc(digests, func(a, b [sha256.Size]byte) int { return strings.Compare(string(a[:]), string(b[:])) })
	h := sha256.New()
	fmt.Fprintf(h, "%q\n%d\n", cols, len(digests))
	for _, d := range digests {
		h.Write(d[:])
	}
	return h.Sum(nil), nil
}

// FileSHA256 returns "sha256:HEX" of the file at path and its size.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("checksum %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("checksum %s: read: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, nil
}
