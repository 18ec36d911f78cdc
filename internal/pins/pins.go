//go:build pins

// Package pins keeps modules that later issues will use required in go.mod.
package pins

import (
	_ "github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3"
)
