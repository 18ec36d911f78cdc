package repo

import (
	"embed"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/internal/sqlmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrate brings the repository's schema up to date.
func migrate(db *sqlx.DB) error { return sqlmigrate.Apply(db, migrations, "migrations/*.sql") }
