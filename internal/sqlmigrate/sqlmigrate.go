// Package sqlmigrate applies numbered SQL migrations embedded in the binary to a SQLite database, each in one transaction with its PRAGMA user_version bump.
package sqlmigrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// migration is one numbered file.
type migration struct {
	name string
	n    int
}

// TooNewError is a database whose schema a newer release wrote: this
// binary does not know its tables and leaves it alone.
type TooNewError struct {
	Version int // the database's user_version
	Known   int // the highest migration this binary holds
}

func (e *TooNewError) Error() string {
	return fmt.Sprintf("its schema version is %d, but this release of Upkeep knows versions up to %d: "+
		"a newer Upkeep has used it; install that release or a later one (nothing was changed)", e.Version, e.Known)
}

// Apply runs, in order, every file matching pattern in fsys (named
// "NNN_what.sql") whose number is above the database's user_version. Each
// runs in its own BEGIN IMMEDIATE transaction that re-reads the version
// first, so processes opening an old database at once apply it once. A
// database newer than the last migration is refused with a *TooNewError.
func Apply(db *sqlx.DB, fsys fs.FS, pattern string) error {
	ms, err := list(fsys, pattern)
	if err != nil {
		return err
	}
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].n
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open the database: %w", err)
	}
	defer conn.Close()
	current, err := version(ctx, conn, known)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.n <= current {
			continue
		}
		if current, err = apply(ctx, conn, fsys, m, known); err != nil {
			return err
		}
	}
	return nil
}

// list returns the migrations matching pattern in number order, refusing
// a name without a number and two files with the same number.
func list(fsys fs.FS, pattern string) ([]migration, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	ms := make([]migration, 0, len(names))
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("migration %s: its name must start with a number above 0, then _", name)
		}
		ms = append(ms, migration{name: name, n: n})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].n < ms[j].n })
	for i := 1; i < len(ms); i++ {
		if ms[i].n == ms[i-1].n {
			return nil, fmt.Errorf("migrations %s and %s have the same number %d: renumber one", ms[i-1].name, ms[i].name, ms[i].n)
		}
	}
	return ms, nil
}

// version reads the database's user_version, refusing one above known.
func version(ctx context.Context, conn *sql.Conn, known int) (int, error) {
	var v int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if v > known {
		return v, &TooNewError{Version: v, Known: known}
	}
	return v, nil
}

// apply runs m unless another process did meanwhile, and returns the
// schema version it leaves.
func apply(ctx context.Context, conn *sql.Conn, fsys fs.FS, m migration, known int) (int, error) {
	body, err := fs.ReadFile(fsys, m.name)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", m.name, err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return 0, fmt.Errorf("begin migration %s: %w", m.name, err)
	}
	done := false
	defer func() {
		if !done {
			_, _ = conn.ExecContext(ctx, "ROLLBACK") // the error being returned says what failed
		}
	}()
	v, err := version(ctx, conn, known)
	if err != nil || v >= m.n {
		return v, err
	}
	if _, err := conn.ExecContext(ctx, string(body)); err != nil {
		return 0, fmt.Errorf("apply migration %s: %w", m.name, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.n)); err != nil {
		return 0, fmt.Errorf("set schema version %d: %w", m.n, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, fmt.Errorf("commit migration %s: %w", m.name, err)
	}
	done = true
	return m.n, nil
}
