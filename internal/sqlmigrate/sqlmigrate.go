// Package sqlmigrate applies numbered SQL migrations embedded in the binary to a SQLite database, each in one transaction with its PRAGMA user_version bump.
package sqlmigrate

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Apply runs every file matching pattern in fsys (named "NNN_what.sql") whose
// number is above the database's user_version, in order.
func Apply(db *sqlx.DB, fsys fs.FS, pattern string) error {
	var current int
	if err := db.Get(&current, "PRAGMA user_version"); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: its name must start with a number: %w", name, err)
		}
		if n <= current {
			continue
		}
		if err := apply(db, fsys, name, n); err != nil {
			return err
		}
	}
	return nil
}

func apply(db *sqlx.DB, fsys fs.FS, name string, n int) error {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	tx, err := db.Beginx()
	if err != nil {
		return fmt.Errorf("begin migration %s: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(string(body)); err != nil {
		return fmt.Errorf("apply migration %s: %w", name, err)
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
		return fmt.Errorf("set schema version %d: %w", n, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %s: %w", name, err)
	}
	return nil
}
