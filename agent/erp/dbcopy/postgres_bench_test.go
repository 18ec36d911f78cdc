package dbcopy

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkPostgres measures both backup methods on a generated database
// of UPKEEP_BENCH_PG_ROWS rows (default 1,000,000: about 410 MB with its
// indexes), each iteration a backup, a change and a restore:
//
//	go test -run '^$' -bench Postgres -benchtime 3x ./agent/erp/dbcopy/
//
// It reports backup-s and restore-s per method, and checksum-s for one
// logical checksum of the database (a template backup takes two, a
// restore one).
func BenchmarkPostgres(b *testing.B) {
	rows := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("UPKEEP_BENCH_PG_ROWS")); err == nil && v > 0 {
		rows = v
	}
	e := newPGEnv(b,
		`CREATE TABLE big (id int PRIMARY KEY, a text, b text, t timestamptz)`,
		`INSERT INTO big SELECT g, md5(g::text), repeat(md5(g::text), 8), now() FROM generate_series(1, `+strconv.Itoa(rows)+`) g`,
		`CREATE INDEX ON big (a)`,
		`VACUUM ANALYZE big`)
	size, err := e.pg("").Size(ctxT(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("database %s: %d rows, %d MB", e.db, rows, size>>20)
	b.Run("checksum", func(b *testing.B) {
		for b.Loop() {
			checksum(b, e.pg(""))
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "checksum-s")
	})
	for _, method := range []string{MethodPGTemplate, MethodPGDump} {
		b.Run(method, func(b *testing.B) { benchMethod(b, e, method) })
	}
}

func benchMethod(b *testing.B, e pgEnv, method string) {
	p := e.pg(method)
	var backup, restore time.Duration
	var bytes int64
	for b.Loop() {
		dir := b.TempDir()
		start := time.Now()
		bk, err := p.Backup(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		backup += time.Since(start)
		bytes = bk.Size
		roleExec(b, e, e.db, "DELETE FROM big WHERE id % 1000 = 0")
		start = time.Now()
		if err := p.Restore(context.Background(), bk); err != nil {
			b.Fatal(err)
		}
		restore += time.Since(start)
		if err := p.Drop(context.Background(), bk); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(backup.Seconds()/n, "backup-s")
	b.ReportMetric(restore.Seconds()/n, "restore-s")
	b.ReportMetric(float64(bytes>>20), "backup-MB")
}
