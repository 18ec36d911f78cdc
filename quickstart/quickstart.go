// Package quickstart is `upkeep demo`: a central repository, a demo ERP instance and the agent in one work folder, scanned, patched and updated in one command.
package quickstart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/agent/cli"
	"github.com/upkeep-erp/upkeep/platform"
)

// Names inside the work folder.
const (
	RepoDir    = "repo"              // the central repository (upkeep-repo --dir)
	ERPDir     = "erp"               // the demo ERP instance (addons/ and erp.sqlite)
	ConfigFile = "upkeep.toml"       // the agent's configuration, rewritten at every start
	StateDir   = "state"             // the agent's state: history, events, backups
	SocketFile = "upkeep.sock"       // the agent's local API
	PIDFile    = "erp-server.pid"    // the demo ERP server's pidfile (its log is PIDFile.log)
	AgentLog   = "agent.log"         // what the agent (`upkeep run`) prints
	TokenFile  = "repo/admin-token"  // the repository's admin token
	lockFile   = ".upkeep-demo.lock" // held while a demo runs in the folder
)

// Run is `upkeep demo`: it prepares o.Dir, starts the repository, the demo
// ERP's server and the agent, scans, applies the patches and updates, shows
// the result, and stops what it started (after Ctrl-C with o.Serve).
func Run(ctx context.Context, o cli.DemoOptions) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("os.Executable: %w (the demo runs its own program as the demo ERP and the agent)", err)
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return run(ctx, o, self)
}

// run is Run with the upkeep program given.
func run(ctx context.Context, o cli.DemoOptions, self string) (err error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("filepath.Abs %s: %w", o.Dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create the work folder: %w (choose another with --dir)", err)
	}
	unlock, err := platform.LockFile(filepath.Join(dir, lockFile))
	if errors.Is(err, platform.ErrLocked) {
		return fmt.Errorf("another upkeep demo is running in %s: stop it with Ctrl-C, or choose another folder with --dir", dir)
	}
	if err != nil {
		return fmt.Errorf("lock the work folder: %w", err)
	}
	defer unlock()
	d := &demo{dir: dir, self: self, out: o.Out}
	defer func() { err = errors.Join(err, d.stop()) }()
	if err := d.prepare(ctx, o.Reset); err != nil {
		return err
	}
	if err := d.start(ctx); err != nil {
		return err
	}
	if err := d.job(ctx, o.NoApply); err != nil {
		return err
	}
	d.hints(o.Serve)
	if o.Serve {
		fmt.Fprintf(d.out, "\nServing: repository %s, agent %s. Press Ctrl-C to stop.\n", d.repoURL, d.socket())
		<-ctx.Done()
		fmt.Fprintln(d.out, "\nStopping...")
	}
	return nil
}

// demo is one run of `upkeep demo` and what it started.
type demo struct {
	dir, self string
	out       io.Writer
	repoURL   string
	erpAddr   string
	stops     []func() error // in start order; stop runs them backwards
}

func (d *demo) path(name string) string { return filepath.Join(d.dir, name) }
func (d *demo) socket() string          { return d.path(SocketFile) }
func (d *demo) config() string          { return d.path(ConfigFile) }

// prepare creates or reuses the folder's repository and instance (after
// clearing the folder with reset).
func (d *demo) prepare(ctx context.Context, reset bool) error {
	if err := d.refuseRunningAgent(ctx); err != nil {
		return err
	}
	if reset {
		if err := d.reset(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.out, "Work folder: %s\n", d.dir)
	if err := d.prepareRepository(ctx); err != nil {
		return err
	}
	return d.prepareInstance(ctx)
}

// start serves the repository, writes the configuration, and starts the
// demo ERP's server and the agent.
func (d *demo) start(ctx context.Context) error {
	for _, step := range []func(context.Context) error{d.serveRepository, d.writeConfig, d.startERP, d.startAgent} {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// stop ends what start started, the last first.
func (d *demo) stop() error {
	var errs []error
	for i := len(d.stops) - 1; i >= 0; i-- {
		errs = append(errs, d.stops[i]())
	}
	d.stops = nil
	return errors.Join(errs...)
}

// job is the main job: scan, apply, result, history, each as the upkeep
// command line prints it.
func (d *demo) job(ctx context.Context, noApply bool) error {
	steps := [][]string{{"scan"}}
	if !noApply {
		steps = append(steps, []string{"apply", "--yes"}, []string{"installed"})
	}
	steps = append(steps, []string{"history"}, []string{"status"})
	for _, args := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		fmt.Fprintf(d.out, "\n== upkeep %s\n", args[0])
		if code := cli.Main(append([]string{"--config", d.config()}, args...), d.out, d.out); code != cli.ExitOK {
			return fmt.Errorf("upkeep %s failed (exit %d, its message is above); the agent's log is %s", args[0], code, d.path(AgentLog))
		}
	}
	return nil
}

// hints tells the user where to go next.
func (d *demo) hints(serve bool) {
	conf := d.config()
	fmt.Fprintln(d.out, "\nNext:")
	if !serve {
		fmt.Fprintln(d.out, "  Keep everything running for the tray and the commands below: go run ./cmd/upkeep demo --serve")
	}
	fmt.Fprintf(d.out, "  Open the tray:  go run ./cmd/upkeep-tray --socket %s\n", d.socket())
	fmt.Fprintf(d.out, "  Rehearse, then apply the core 3.0 upgrade:  go run ./cmd/upkeep rehearse --config %s --include-upgrades core --disable-blockers\n", conf)
	fmt.Fprintf(d.out, "      then the same with apply --yes; `upkeep-repo --dir %s extend localization-es 1.2.0 --depends 'core>=2.50.0,<3.1'` lifts the blocker\n", d.path(RepoDir))
	fmt.Fprintln(d.out, "  A real ERP: start from docs/examples/tryton.toml (or odoo.toml), then upkeep --config upkeep.toml config check, and scan")
}
