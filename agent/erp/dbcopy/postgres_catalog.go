package dbcopy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The prefixes of Backup.Checksum for PostgreSQL: which check a restore
// repeats. A digest without prefix is a logical checksum (checksumDB),
// which backups made before catalog digests recorded.
const (
	catalogPrefix = "catalog:" // relations, columns and sizes on disk: a clone
	shapePrefix   = "shape:"   // relations and columns: a dump
)

// catalogSQL lists every relation outside the system schemas with its
// kind, its columns and, when $1, its size on disk with all its forks,
// indexes and TOAST. It reads the catalog and stats the files: its cost
// grows with the number of relations, never with the rows.
const catalogSQL = `SELECT n.nspname, c.relname, c.relkind::text,
	coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
		FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), ''),
	CASE WHEN $1 THEN pg_total_relation_size(c.oid) ELSE 0 END
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind IN ('r', 'm', 'S', 'p', 'v', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
	ORDER BY 1, 2`

// catalogSum is a digest of database name's catalog: with sizes, a clone
// made with CREATE DATABASE … TEMPLATE (a copy of the files, block for
// block) has the same one as its source; without, a dump restored too.
// It reads no row: a 100 GB database costs what a 10 MB one does.
func (p Postgres) catalogSum(ctx context.Context, name string, sizes bool) (string, error) {
	conn, err := p.connect(ctx, name)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, catalogSQL, sizes)
	if err != nil {
		return "", fmt.Errorf("dbcopy: read the catalog of %s: %w", name, err)
	}
	h := sha256.New()
	n := 0
	var schema, rel, kind, cols string
	var size int64
	_, err = pgx.ForEachRow(rows, []any{&schema, &rel, &kind, &cols, &size}, func() error {
		n++
		fmt.Fprintf(h, "%s.%s\t%s\t%s\t%d\n", schema, rel, kind, cols, size)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("dbcopy: read the catalog of %s: %w", name, err)
	}
	prefix := shapePrefix
	if sizes {
		prefix = catalogPrefix
	}
	return fmt.Sprintf("%s%d:%s", prefix, n, hex.EncodeToString(h.Sum(nil))), nil
}

// sumLike computes the digest of database name of the same kind as want
// (catalog, shape, or the logical checksum of older backups).
func (p Postgres) sumLike(ctx context.Context, name, want string) (string, error) {
	switch {
	case strings.HasPrefix(want, catalogPrefix):
		return p.catalogSum(ctx, name, true)
	case strings.HasPrefix(want, shapePrefix):
		return p.catalogSum(ctx, name, false)
	}
	return p.checksumDB(ctx, name)
}

// allowConnections opens or closes database name to new sessions. A
// backup copy is closed, so that no client (a misdirected cron, a tool
// pointed at the wrong name) can write to it; a restore opens it again.
func allowConnections(ctx context.Context, conn *pgx.Conn, name string, allow bool) error {
	return exec1(ctx, conn, fmt.Sprintf("ALTER DATABASE %s WITH ALLOW_CONNECTIONS %t", ident(name), allow))
}
