package store

import (
	"errors"

	"github.com/mattn/go-sqlite3"

	"github.com/upkeep-erp/upkeep/platform"
)

// DiskFull reports whether err says a disk is full: the system's ENOSPC
// (or quota), or SQLite's "database or disk is full".
func DiskFull(err error) bool {
	var se sqlite3.Error
	return platform.IsDiskFull(err) || errors.As(err, &se) && se.Code == sqlite3.ErrFull
}
