package command

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/rehearse"
)

// ClonePIDFile is the pidfile of a rehearsal copy's server, in the copy's
// folder: {pidfile} in [erp.command.rehearsal].
const ClonePIDFile = "server.pid"

// neutralTables are the OpenERP tables whose rows Neutralize deactivates:
// the scheduled jobs and the outgoing mail servers.
var neutralTables = []string{"ir_cron", "ir_mail_server"}

var _ erp.Neutralizer = (*Adapter)(nil)

// Neutralize deactivates every scheduled job (ir_cron) and outgoing mail
// server (ir_mail_server), in one transaction; a table the ERP lacks is
// skipped. Only rehearsal copies are neutralized.
func (a *Adapter) Neutralize(ctx context.Context) error {
	stmts, err := a.neutralStatements(ctx)
	if err != nil || len(stmts) == 0 {
		return err
	}
	if err := a.ExecSQL(ctx, strings.Join(stmts, ";\n")+";"); err != nil {
		return fmt.Errorf("neutralize the scheduled jobs and mail servers: %w", err)
	}
	return nil
}

// neutralStatements are the updates Neutralize runs, for the tables this
// ERP has.
func (a *Adapter) neutralStatements(ctx context.Context) ([]string, error) {
	db, err := a.db.open(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("neutralize: %w", err)
	}
	defer db.Close()
	var stmts []string
	for _, t := range neutralTables {
		var n int
		if err := db.QueryRowContext(ctx, a.db.tableExistsSQL(), t).Scan(&n); err != nil {
			return nil, fmt.Errorf("neutralize: look for table %s in %s: %w", t, a.db, err)
		}
		if n > 0 {
			stmts = append(stmts, "UPDATE "+t+" SET active = FALSE WHERE active")
		}
	}
	return stmts, nil
}

// CanClone says whether Clone can make a rehearsal copy: it needs the
// copy's command lines in [erp.command.rehearsal].
func (a *Adapter) CanClone() error {
	if len(a.cfg.Rehearsal.Start) == 0 || len(a.cfg.Rehearsal.Update) == 0 {
		return errors.New("a command ERP is rehearsed on a throwaway copy only with [erp.command.rehearsal] start and update (the copy's server " +
			"and update command lines, with {port}, {database}, {modules_dir}, {pidfile}…), or on a permanent test instance: set [rehearsal.test_instance]")
	}
	return nil
}

// Clone makes a rehearsal copy from the command lines of
// [erp.command.rehearsal]: it copies the database (a SQLite snapshot, or a
// PostgreSQL database loaded from pg_dump's snapshot) and modules_dir into
// dir (empty) without touching the live ones (the server keeps running);
// addons_path is shared, read only. It returns the copy's adapter, its
// server (not started) under pidfile control. cleanup stops that server
// and drops a PostgreSQL copy; the caller removes dir.
func (a *Adapter) Clone(ctx context.Context, dir string) (erp.Writer, func(context.Context) error, error) {
	if err := a.CanClone(); err != nil {
		return nil, nil, err
	}
	c := cloner{a: a, t: a.cfg.Rehearsal}
	cp, err := c.copyDatabase(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	modules := filepath.Join(dir, filepath.Base(a.cfg.ModulesDir))
	if err := rehearse.CopyTree(a.cfg.ModulesDir, modules); err != nil {
		return nil, nil, err
	}
	addr, err := rehearse.FreeLoopbackAddr()
	if err != nil {
		return nil, nil, err
	}
	vars := map[string]string{"port": addr[strings.LastIndex(addr, ":")+1:], "dir": dir, "database": cp.name,
		"database_url": cp.url, "modules_dir": modules, "pidfile": filepath.Join(dir, ClonePIDFile)}
	srv, err := c.server(dir, vars)
	if err != nil {
		return nil, nil, err
	}
	clone, err := c.adapter(vars, srv)
	if err != nil {
		return nil, nil, err
	}
	return clone, func(ctx context.Context) error { return errors.Join(srv.Stop(ctx), c.dropDatabase(ctx, dir)) }, nil
}

// Discard stops the server of a copy made in dir (from its pidfile) and
// drops its PostgreSQL database, after a crash of the agent that made it.
func (a *Adapter) Discard(ctx context.Context, dir string) error {
	if err := a.CanClone(); err != nil {
		return err
	}
	c := cloner{a: a, t: a.cfg.Rehearsal}
	srv, err := c.server(dir, map[string]string{"port": "0", "dir": dir, "database": "", "database_url": "", "modules_dir": "",
		"pidfile": filepath.Join(dir, ClonePIDFile)})
	if err != nil {
		return err
	}
	return errors.Join(srv.Stop(ctx), c.dropDatabase(ctx, dir))
}

// cloner makes and removes the copies of a's ERP.
type cloner struct {
	a *Adapter
	t config.RehearsalCommand
}

// adapter is the copy's adapter: a's configuration aimed at the copy.
func (c cloner) adapter(vars map[string]string, srv erp.Server) (*Adapter, error) {
	cfg := c.a.cfg
	cfg.Database, cfg.ModulesDir, cfg.Rehearsal = vars["database_url"], vars["modules_dir"], config.RehearsalCommand{}
	var err error
	if cfg.Update, err = rehearse.Expand(c.t.Update, vars, "modules", "install", "disable"); err == nil {
		cfg.Health, err = rehearse.Expand(c.t.Health, vars)
	}
	if err != nil {
		return nil, fmt.Errorf("erp.command.rehearsal: %w", err)
	}
	clone, err := New(cfg, srv)
	if err != nil {
		return nil, fmt.Errorf("the rehearsal copy's configuration: %w", err)
	}
	return clone, nil
}

// server controls the copy's server: the start command line run detached,
// known by its pidfile in dir.
func (c cloner) server(dir string, vars map[string]string) (erp.Server, error) {
	start, err := rehearse.Expand(c.t.Start, vars)
	if err != nil {
		return nil, fmt.Errorf("erp.command.rehearsal.start: %w", err)
	}
	return proc.New(proc.Config{PIDFile: vars["pidfile"], Start: start, Log: filepath.Join(dir, "server.log")})
}

// dbCopy is the copy's database: its name ({database}) and URL.
type dbCopy struct{ name, url string }

// copyDatabase copies the live database into the copy: a SQLite snapshot
// in dir, or a PostgreSQL database named after dir.
func (c cloner) copyDatabase(ctx context.Context, dir string) (dbCopy, error) {
	if f := c.a.db.sqlite; f != "" {
		dst := filepath.Join(dir, filepath.Base(f))
		if err := rehearse.SnapshotSQLite(ctx, f, dst); err != nil {
			return dbCopy{}, err
		}
		return dbCopy{name: dst, url: "sqlite://" + filepath.ToSlash(dst)}, nil
	}
	name, err := c.copyName(dir)
	if err != nil {
		return dbCopy{}, err
	}
	u, err := rehearse.CopyURL(c.a.db.pg, name)
	if err != nil {
		return dbCopy{}, err
	}
	return dbCopy{name: name, url: u}, rehearse.ClonePostgres(ctx, c.a.db.pg, name, dir)
}

// dropDatabase drops the PostgreSQL copy made for dir (a SQLite copy is a
// file in dir).
func (c cloner) dropDatabase(ctx context.Context, dir string) error {
	if c.a.db.sqlite != "" {
		return nil
	}
	name, err := c.copyName(dir)
	if err != nil {
		return err
	}
	return rehearse.DropPostgres(ctx, c.a.db.pg, name)
}

func (c cloner) copyName(dir string) (string, error) {
	cfg, err := pgx.ParseConfig(c.a.db.pg)
	if err != nil {
		return "", fmt.Errorf("erp.command.database %s is not a valid PostgreSQL URL: %w", c.a.db, err)
	}
	return rehearse.CopyName(cfg.Database, dir), nil
}
