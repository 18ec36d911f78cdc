package odoo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// pgConnectTimeout bounds opening a connection.
const pgConnectTimeout = 10 * time.Second

// filestoreDir is the filestore's copy inside a backup folder.
const filestoreDir = "filestore"

// openPG opens the database at url; a readOnly session cannot change it.
func openPG(ctx context.Context, url, name string, readOnly bool) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("odoo: the database settings of the configuration file do not make a PostgreSQL address: %w", err)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > pgConnectTimeout {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	cfg.RuntimeParams["application_name"] = "upkeep"
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("odoo: connect to the database %s: %w; is PostgreSQL running, and are db_host, db_port, db_user and db_name right?", name, err)
	}
	return db, nil
}

// postgres is the dbcopy view of the database.
func (a *Adapter) postgres() dbcopy.Postgres {
	return dbcopy.Postgres{URL: a.pg, Method: a.cfg.PGBackup}
}

// BackupSize is the database's size plus the filestore's.
func (a *Adapter) BackupSize(ctx context.Context) (int64, error) {
	n, err := a.postgres().Size(ctx)
	if err != nil {
		return 0, err
	}
	files, err := treeSize(a.Filestore())
	return n + files, err
}

// Backup copies the stopped server's database and its filestore together:
// the database by its method, the filestore into dir/filestore by
// dbcopy.CopyTree with hard links allowed (Odoo never rewrites a filestore
// file in place: it is content-addressed), so the copy is nearly free.
// Backup.Path is dir, where Restore finds the filestore.
func (a *Adapter) Backup(ctx context.Context, dir string) (erp.Backup, error) {
	b, err := a.postgres().Backup(ctx, dir)
	if err != nil {
		return erp.Backup{}, err
	}
	if b.Path == "" {
		b.Path = dir
	}
	if err := a.backupFilestore(ctx, dir); err != nil {
		_ = a.postgres().Drop(context.Background(), b)
		return erp.Backup{}, err
	}
	return b, nil
}

// backupFilestore copies the live filestore into dir/filestore; a
// database without one (no attachment yet) gets an empty folder, so that
// the restore empties the live one.
func (a *Adapter) backupFilestore(ctx context.Context, dir string) error {
	dst := filepath.Join(dir, filestoreDir)
	src := a.Filestore()
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return os.Mkdir(dst, 0o700)
	}
	if _, err := dbcopy.CopyTree(ctx, src, dst, dbcopy.TreeOptions{HardLinks: true}); err != nil {
		return fmt.Errorf("odoo: back up the filestore: %w", err)
	}
	return nil
}

// Restore puts back the database, then the filestore: the backup's copy
// is linked into a new folder beside the live one, which it then replaces,
// so the backup stays whole and an interrupted restore can run again.
func (a *Adapter) Restore(ctx context.Context, b erp.Backup) error {
	src := filepath.Join(b.Path, filestoreDir)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("odoo: the backup has no filestore copy (%w): it cannot be restored with its attachments", err)
	}
	if err := a.postgres().Restore(ctx, b); err != nil {
		return err
	}
	return a.restoreFilestore(ctx, src)
}

// restoreFilestore replaces the live filestore with a copy of src.
func (a *Adapter) restoreFilestore(ctx context.Context, src string) error {
	live := a.Filestore()
	incoming, aside := live+".upkeep-restore", live+".upkeep-old"
	for _, p := range []string{incoming, aside} {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("odoo: restore the filestore: clear %s: %w", p, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(live), 0o755); err != nil {
		return fmt.Errorf("odoo: restore the filestore: %w", err)
	}
	if _, err := dbcopy.CopyTree(ctx, src, incoming, dbcopy.TreeOptions{HardLinks: true}); err != nil {
		return fmt.Errorf("odoo: restore the filestore: %w", err)
	}
	if err := os.Rename(live, aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("odoo: restore the filestore: move the live one aside: %w", err)
	}
	if err := os.Rename(incoming, live); err != nil {
		return fmt.Errorf("odoo: restore the filestore: put the backup's copy in place: %w", err)
	}
	if err := os.RemoveAll(aside); err != nil {
		return fmt.Errorf("odoo: restore the filestore: remove the replaced one at %s: %w", aside, err)
	}
	return nil
}

// DropBackup drops a template database; the runner removes the folder
// (and with it the filestore copy).
func (a *Adapter) DropBackup(ctx context.Context, b erp.Backup) error {
	return a.postgres().Drop(ctx, b)
}

// ExecSQL runs script in one transaction: all of it, or none of it.
func (a *Adapter) ExecSQL(ctx context.Context, script string) error {
	db, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	return dbcopy.ExecScript(ctx, db, script, func(step string, err error) error {
		return fmt.Errorf("odoo: %s on %s: %w; fix the script", step, a.cfg.Database, err)
	})
}

// QueryValue runs query in a read-only session and returns the first
// column of its first row as text ("" for NULL).
func (a *Adapter) QueryValue(ctx context.Context, query string) (string, error) {
	db, err := a.open(ctx, true)
	if err != nil {
		return "", err
	}
	defer db.Close()
	v, err := dbcopy.QueryValue(ctx, db, query)
	if errors.Is(err, dbcopy.ErrNoRow) {
		return "", fmt.Errorf("odoo: query %q on %s returned no row: write a query that returns one value", query, a.cfg.Database)
	}
	if err != nil {
		return "", fmt.Errorf("odoo: query %q on %s: %w", query, a.cfg.Database, err)
	}
	return v, nil
}

// treeSize adds up the sizes of the regular files under dir (0 when it
// does not exist).
func treeSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return filepath.SkipAll
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("odoo: measure the filestore %s: %w", dir, err)
	}
	return n, nil
}
