package odoo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/rehearse"
	"github.com/upkeep-erp/upkeep/platform"
)

// Files and folders of a rehearsal copy, in its folder.
const (
	clonePIDFile = "odoo.pid"  // its server's pidfile
	cloneConf    = "odoo.conf" // its configuration
	cloneAddons  = "addons"    // its copy of modules_dir
	cloneData    = "data"      // its data_dir (its own filestore)
)

// cloneStopTimeout is how long a copy's server has after SIGTERM.
const cloneStopTimeout = 10 * time.Second

// Clone implements apply.Cloner: it copies the instance into dir without
// touching production, whose server keeps running: the database (pg_dump's
// snapshot into a database named after dir), the filestore (hard links)
// into dir/data, modules_dir into dir/addons, and a configuration of its
// own (its database only, a free loopback port, no cron threads, mail to
// a closed port). dir and all in it belong to erp.user, who runs the
// copy's server and update. cleanup stops the copy's server and drops its
// database; the caller removes dir.
func (a *Adapter) Clone(ctx context.Context, dir string) (erp.Writer, func(context.Context) error, error) {
	cleanup := func(ctx context.Context) error { return a.Discard(ctx, dir) }
	clone, err := a.makeClone(ctx, dir)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("odoo: rehearsal copy: %w", err), cleanup(ctx))
	}
	return clone, cleanup, nil
}

func (a *Adapter) makeClone(ctx context.Context, dir string) (*Adapter, error) {
	name := rehearse.CopyName(a.cfg.Database, dir)
	if err := rehearse.ClonePostgres(ctx, a.pg, name, dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, cloneData, "filestore"), 0o750); err != nil {
		return nil, err
	}
	if _, err := os.Stat(a.Filestore()); err == nil {
		if _, err := dbcopy.CopyTree(ctx, a.Filestore(), filepath.Join(dir, cloneData, "filestore", name), dbcopy.TreeOptions{HardLinks: true, NoSync: true}); err != nil {
			return nil, err
		}
	}
	if err := rehearse.CopyTree(a.cfg.ModulesDir, filepath.Join(dir, cloneAddons)); err != nil {
		return nil, err
	}
	addr, err := rehearse.FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	if err := a.writeCloneConf(dir, name, addr); err != nil {
		return nil, err
	}
	if err := a.giveToUser(dir); err != nil {
		return nil, err
	}
	return a.cloneAdapter(dir, name, addr)
}

// cloneAdapter is the copy's Adapter, its server under pidfile control.
func (a *Adapter) cloneAdapter(dir, name, addr string) (*Adapter, error) {
	c := a.cfg
	c.ConfFile, c.Database, c.ModulesDir, c.URL = filepath.Join(dir, cloneConf), name, filepath.Join(dir, cloneAddons), "http://"+addr+"/"
	srv, err := cloneServer(dir, c)
	if err != nil {
		return nil, err
	}
	c.Server = srv
	clone, err := New(c)
	if err != nil {
		return nil, err
	}
	if clone.pg == a.pg || clone.Filestore() == a.Filestore() {
		return nil, fmt.Errorf("the copy resolves to production's database or filestore: check %s", a.cfg.ConfFile)
	}
	return clone, nil
}

// cloneServer runs the copy's odoo-bin as erp.user, its pidfile in dir.
func cloneServer(dir string, c Config) (erp.Server, error) {
	pidfile := filepath.Join(dir, clonePIDFile)
	argv := []string{c.Python, c.OdooBin, "-c", c.ConfFile, "--pidfile=" + pidfile}
	if c.User != "" {
		argv = append([]string{"/usr/sbin/runuser", "-u", c.User, "--"}, argv...)
	}
	return proc.New(proc.Config{PIDFile: pidfile, Start: argv, Log: filepath.Join(dir, "odoo.log"), StopTimeout: cloneStopTimeout})
}

// cloneOverrides are the copy's own [options]: production's file with
// these keys replaced.
func (a *Adapter) cloneOverrides(dir, name, addr string) map[string]string {
	host, port, _ := strings.Cut(addr, ":")
	paths := []string{filepath.Join(dir, cloneAddons)}
	for _, p := range a.conf.AddonsPath {
		if p != a.cfg.ModulesDir {
			paths = append(paths, p)
		}
	}
	return map[string]string{"addons_path": strings.Join(paths, ","), "data_dir": filepath.Join(dir, cloneData),
		"db_name": name, "dbfilter": "^" + name + "$", "http_interface": host, "http_port": port, "list_db": "False",
		"max_cron_threads": "0", "workers": "0", "smtp_server": "127.0.0.1", "smtp_port": "1", "pidfile": "False",
		"logfile": "False", "gevent_port": "0"}
}

// writeCloneConf writes production's configuration file with the copy's
// overrides in place of those keys.
func (a *Adapter) writeCloneConf(dir, name, addr string) error {
	data, err := os.ReadFile(a.cfg.ConfFile)
	if err != nil {
		return err
	}
	over := a.cloneOverrides(dir, name, addr)
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 4096), maxConfLine)
	for sc.Scan() {
		line := sc.Text()
		if key, _, ok := cutKey(strings.TrimSpace(line)); ok && over[key] != "" {
			continue
		}
		out.WriteString(line + "\n")
		if strings.TrimSpace(line) == "[options]" {
			for _, k := range slices.Sorted(maps.Keys(over)) {
				fmt.Fprintf(&out, "%s = %s\n", k, over[k])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, cloneConf), out.Bytes(), 0o640)
}

// giveToUser hands dir and everything in it to the owner of modules_dir
// (erp.user: the copy's server reads its files and writes its pidfile,
// filestore and sessions), and lets others pass through (search, not
// list) the folders above dir that do not let them yet.
func (a *Adapter) giveToUser(dir string) error {
	like, err := os.Stat(a.cfg.ModulesDir)
	if err != nil {
		return err
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return platform.ChownLike(p, like)
	})
	if err != nil {
		return err
	}
	for p := filepath.Dir(dir); p != filepath.Dir(p); p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, st.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("let %s pass through %s: %w", a.cfg.User, p, err)
			}
		}
	}
	return nil
}

// Neutralize runs Odoo's own `odoo-bin neutralize` on the copy (every
// scheduled job but the autovacuum off, and what each module adds), turns
// the outgoing mail servers off, then reads back Odoo's mark
// (database.is_neutralized) and that no mail server is active; the copy's
// configuration runs no cron thread and mails to a closed port anyway.
func (a *Adapter) Neutralize(ctx context.Context) error {
	argv := []string{a.cfg.Python, a.cfg.OdooBin, "neutralize", "-c", a.cfg.ConfFile, "-d", a.cfg.Database}
	if err := a.run(ctx, argv, io.Discard); err != nil {
		return fmt.Errorf("odoo: neutralize the copy: %w", err)
	}
	// Odoo 17's base neutralization leaves ir_mail_server alone (mail's
	// does that): switch the copy's outgoing servers off as it would.
	if err := a.ExecSQL(ctx, "UPDATE ir_mail_server SET active = false WHERE active"); err != nil {
		return err
	}
	mark, err := a.QueryValue(ctx, "SELECT count(*) FROM ir_config_parameter WHERE key = 'database.is_neutralized' AND lower(value) = 'true'")
	if err != nil {
		return err
	}
	mail, err := a.QueryValue(ctx, "SELECT count(*) FROM ir_mail_server WHERE active")
	if err != nil {
		return err
	}
	if mark != "1" || mail != "0" {
		return fmt.Errorf("odoo: after odoo-bin neutralize, the copy %s is not marked neutralized (database.is_neutralized) or %s outgoing mail servers are active", a.cfg.Database, mail)
	}
	return nil
}

// Discard implements apply.Cloner: it stops the copy's server made in dir
// and drops its database. A copy that is gone, or partial, is success.
func (a *Adapter) Discard(ctx context.Context, dir string) error {
	c := a.cfg
	c.ConfFile = filepath.Join(dir, cloneConf)
	srv, err := cloneServer(dir, c)
	if err != nil {
		return err
	}
	errs := []error{srv.Stop(ctx), rehearse.DropPostgres(ctx, a.pg, rehearse.CopyName(a.cfg.Database, dir))}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("odoo: discard the rehearsal copy in %s: %w", dir, err)
	}
	return nil
}
