package tryton

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/rehearse"
)

// Files of a rehearsal copy, in its folder.
const (
	ClonePIDFile = "trytond.pid"  // its server's pidfile
	cloneConf    = "trytond.conf" // its configuration (NeutralConf)
	cloneOverlay = "overlay"      // its module overlay (CloneOverlay)
	cloneDBDir   = "db"           // SQLite: its database's folder
)

// cloneStopTimeout is how long a copy's server has after SIGTERM.
const cloneStopTimeout = 10 * time.Second

// Clone implements apply.Cloner: it copies the instance into dir (empty)
// without touching production, whose server keeps running: the database
// (SQLite: a read-only VACUUM INTO snapshot in dir/db; PostgreSQL: a
// database named after dir, loaded from pg_dump's snapshot), the module
// overlay (CloneOverlay: links to the same system modules, delivered
// folders copied) and trytond.conf (NeutralConf: mail to a closed port,
// the copy's database, a free loopback port). The copy's Writer has a
// server under pidfile control in dir, not started, and the same login
// for its health check. cleanup stops that server and drops a PostgreSQL
// copy; the caller removes dir.
func (w *Writer) Clone(ctx context.Context, dir string) (erp.Writer, func(context.Context) error, error) {
	if err := checkCloneEnv(); err != nil {
		return nil, nil, err
	}
	addr, err := rehearse.FreeLoopbackAddr()
	if err != nil {
		return nil, nil, err
	}
	overrides := map[string]string{"web.listen": addr}
	cfg := w.cloneConfig(dir)
	if w.db.backend == backendSQLite {
		if err := os.MkdirAll(filepath.Join(dir, cloneDBDir), 0o750); err != nil {
			return nil, nil, fmt.Errorf("tryton: rehearsal copy: %w", err)
		}
		overrides["database.path"] = filepath.Join(dir, cloneDBDir)
		err = rehearse.SnapshotSQLite(ctx, w.db.file, filepath.Join(dir, cloneDBDir, w.cfg.Database+".sqlite"))
	} else {
		err = rehearse.ClonePostgres(ctx, w.db.pgURL.String(), cfg.Database, dir)
	}
	cleanup := func(ctx context.Context) error { return w.Discard(ctx, dir) }
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("tryton: rehearsal copy of %s: %w", w.db, err), cleanup(ctx))
	}
	clone, err := w.cloneWriter(dir, cfg, overrides)
	if err != nil {
		return nil, nil, errors.Join(err, cleanup(ctx))
	}
	return clone, cleanup, nil
}

// cloneWriter makes the copy's overlay, configuration and Writer.
func (w *Writer) cloneWriter(dir string, cfg Config, overrides map[string]string) (*Writer, error) {
	if err := CloneOverlay(w.cfg.Overlay, cfg.Overlay, systemOf(w.cfg.Overlay)); err != nil {
		return nil, err
	}
	if err := NeutralConf(w.cfg.TrytondConf, cfg.TrytondConf, overrides); err != nil {
		return nil, err
	}
	srv, err := cloneServer(dir, cfg)
	if err != nil {
		return nil, err
	}
	c, err := NewWriter(WriterConfig{Config: cfg, Server: srv, User: w.cfg.User, PasswordFile: w.cfg.PasswordFile,
		PGBackup: w.cfg.PGBackup, Admin: w.cfg.Admin})
	if err != nil {
		return nil, fmt.Errorf("tryton: the rehearsal copy's configuration: %w", err)
	}
	if c.db.String() == w.db.String() {
		return nil, fmt.Errorf("tryton: the rehearsal copy resolves to production's database %s: check [database] in %s", w.db, w.cfg.TrytondConf)
	}
	return c, nil
}

// Discard implements apply.Cloner: it stops the server of the copy made
// in dir (from its pidfile) and drops its PostgreSQL database, after a
// crash of the agent that made it. A copy that is gone, or was never
// complete, is success.
func (w *Writer) Discard(ctx context.Context, dir string) error {
	srv, err := cloneServer(dir, w.cloneConfig(dir))
	if err != nil {
		return err
	}
	errs := []error{srv.Stop(ctx)}
	if w.db.backend == backendPostgres {
		errs = append(errs, rehearse.DropPostgres(ctx, w.db.pgURL.String(), rehearse.CopyName(w.cfg.Database, dir)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tryton: discard the rehearsal copy in %s: %w", dir, err)
	}
	return nil
}

// cloneConfig locates the copy made in dir.
func (w *Writer) cloneConfig(dir string) Config {
	c := w.cfg.Config
	c.TrytondConf, c.Overlay = filepath.Join(dir, cloneConf), filepath.Join(dir, cloneOverlay)
	if w.db.backend == backendPostgres {
		c.Database = rehearse.CopyName(w.cfg.Database, dir)
	}
	return c
}

// cloneServer controls the copy's trytond through its pidfile in dir.
func cloneServer(dir string, cfg Config) (erp.Server, error) {
	pidfile := filepath.Join(dir, ClonePIDFile)
	return proc.New(proc.Config{PIDFile: pidfile, Start: ServerCommand(cfg, pidfile, ""), Log: filepath.Join(dir, "trytond.log"),
		StopTimeout: cloneStopTimeout})
}

// checkCloneEnv refuses to copy when the environment chooses trytond's
// database: the copy's trytond.conf could not point it at the copy, and
// the rehearsal would run on production.
func checkCloneEnv() error {
	for _, k := range []string{"TRYTOND_DATABASE__URI", "TRYTOND_DATABASE__PATH"} {
		if os.Getenv(k) != "" {
			return fmt.Errorf("tryton: the agent's environment sets %s, which every trytond the rehearsal starts would inherit instead of the copy's configuration: unset it in the agent's environment and set it in trytond.conf", k)
		}
	}
	return nil
}

// systemOf is the system trytond the overlay at root links to ("" when it
// cannot tell: EnsureOverlay then takes Debian's).
func systemOf(root string) string {
	target, err := os.Readlink(filepath.Join(root, "trytond", "__init__.py"))
	if err != nil || !filepath.IsAbs(target) {
		return ""
	}
	return filepath.Dir(target)
}
