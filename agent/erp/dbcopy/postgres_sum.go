package dbcopy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// relationsSQL lists what a checksum covers: every table, materialized
// view and sequence outside the system schemas, with its column list.
const relationsSQL = `SELECT n.nspname, c.relname, c.relkind::text,
	coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
		FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind IN ('r', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
	ORDER BY 1, 2`

// rowsSumSQL sums the md5 of every row's text as two 64-bit halves: an
// order-free digest of the table's rows (a multiset), computed by the
// server without sorting or building one large string.
const rowsSumSQL = `SELECT count(*)::text,
	coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text,
	coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text
	FROM (SELECT md5(t::text) AS h FROM %s t) s`

type relation struct {
	schema, name, kind, columns string
}

// checksumDB is a logical checksum of database name: sha256 over, for
// each relation in name order, its columns and the digest of its rows (a
// sequence: its last value). It is the same for a database and its clone
// or its dump restored, whatever their physical layout.
func (p Postgres) checksumDB(ctx context.Context, name string) (string, error) {
	conn, err := p.connect(ctx, name)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return "", fmt.Errorf("dbcopy: checksum %s: begin: %w", name, err)
	}
	defer tx.Rollback(context.Background())
	rows, err := tx.Query(ctx, relationsSQL)
	if err != nil {
		return "", fmt.Errorf("dbcopy: checksum %s: list the tables: %w", name, err)
	}
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (relation, error) {
		var rel relation
		err := r.Scan(&rel.schema, &rel.name, &rel.kind, &rel.columns)
		return rel, err
	})
	if err != nil {
		return "", fmt.Errorf("dbcopy: checksum %s: list the tables: %w", name, err)
	}
	digests, err := relationDigests(ctx, tx, rels)
	if err != nil {
		return "", fmt.Errorf("dbcopy: checksum %s: %w", name, err)
	}
	h := sha256.New()
	for i, rel := range rels {
		fmt.Fprintf(h, "%s.%s\t%s\t%s\t%s\n", rel.schema, rel.name, rel.kind, rel.columns, digests[i])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// relationDigests reads every relation's digest with one pipelined batch
// of queries: a Tryton or Odoo database has hundreds of small tables and
// sequences, whose round trips one by one took half the checksum's time
// (and a checksum runs while the ERP is stopped).
func relationDigests(ctx context.Context, tx pgx.Tx, rels []relation) ([]string, error) {
	b := &pgx.Batch{}
	for _, rel := range rels {
		table := pgx.Identifier{rel.schema, rel.name}.Sanitize()
		if rel.kind == "S" {
			b.Queue("SELECT last_value::text, is_called::text, NULL FROM " + table)
		} else {
			b.Queue(fmt.Sprintf(rowsSumSQL, table))
		}
	}
	br := tx.SendBatch(ctx, b)
	digests := make([]string, len(rels))
	for i, rel := range rels {
		var x, y string
		var z *string
		if err := br.QueryRow().Scan(&x, &y, &z); err != nil {
			br.Close()
			return nil, fmt.Errorf("read %s %s: %w", map[bool]string{true: "sequence", false: "table"}[rel.kind == "S"], pgx.Identifier{rel.schema, rel.name}.Sanitize(), err)
		}
		digests[i] = x + " " + y
		if z != nil {
			digests[i] += " " + *z
		}
	}
	return digests, br.Close()
}
