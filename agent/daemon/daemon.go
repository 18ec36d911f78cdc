// Package daemon runs the agent: as the service (recovery at start, the local API, the schedule, reloads) or inside a command's own process (Local: the same backend behind an in-memory connection).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/host"
	"github.com/upkeep-erp/upkeep/agent/notify"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

// Options say what the service runs.
type Options struct {
	Config  *config.Config
	Log     *slog.Logger
	Version string // the build's version, for the status
}

// Daemon is the agent the service runs (service.Agent): at start it
// finishes a run a crash left unfinished, then serves the local API and
// runs the schedule until Stop.
type Daemon struct {
	cfg       *config.Config
	log       *slog.Logger
	version   string
	st        *store.Store
	b         *backend.Backend
	srv       *api.Server
	served    chan error
	stop      context.CancelFunc // ends the schedule, the reloads and the footprint trimmer
	scheduled chan error
	reloads   chan struct{} // closed once reloads on signals have stopped
	trimmed   <-chan struct{}
}

// New returns the agent o describes; Start starts it.
func New(o Options) *Daemon {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Daemon{cfg: o.Config, log: o.Log, version: o.Version}
}

// Start opens the state, recovers, serves the local API and starts the
// schedule and the reloads on signals.
func (d *Daemon) Start(ctx context.Context) error {
	spec, err := d.cfg.Schedule.Spec()
	if err != nil {
		return err // validated with the configuration
	}
	hup := notifyReload() // from now on a SIGHUP waits for the reload, never stops the agent
	st, err := store.Open(d.cfg.State.Dir, nil)
	if err != nil {
		stopReload(hup)
		return err
	}
	ev := store.NewEvents(st)
	sched, err := d.wire(st, ev, spec)
	if err == nil {
		recoverAtStart(ctx, d.b, d.log)
		err = d.serve()
	}
	if err != nil {
		stopReload(hup)
		st.Close()
		return err
	}
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stop, d.scheduled, d.reloads = stop, make(chan error, 1), make(chan struct{})
	d.trimmed = trimFootprint(sctx)
	go func() { d.scheduled <- sched.Run(sctx) }()
	go func() { defer close(d.reloads); d.reloadOnSignal(sctx, hup, ev) }()
	d.log.Info("schedule running", "every", spec.Every, "cron", spec.Cron, "windows", spec.Windows.String(),
		"patches", spec.Policy.Patches.String(), "updates", spec.Policy.Updates.String(), "upgrades", spec.Policy.Upgrades.String())
	return nil
}

// wire builds the backend and the scheduler over the store and the event log.
func (d *Daemon) wire(st *store.Store, ev *store.Events, spec schedule.Spec) (*schedule.Scheduler, error) {
	hostname, _ := os.Hostname()
	n, err := notify.FromConfig(d.cfg.Notify, hostname)
	if err != nil {
		return nil, err
	}
	var sched *schedule.Scheduler
	d.st = st
	d.b = backend.New(backend.Options{Config: d.cfg, Store: st, Events: ev, Version: d.version, Started: time.Now(), Log: d.log,
		Open:     host.Open,
		Schedule: func() schedule.Status { return sched.Status() },
		OnReload: func(c *config.Config) error { return d.reschedule(sched, c, hostname) }})
	opt := schedule.Options{Logger: d.log}
	if n != nil {
		opt.Notifier = n
	}
	sched, err = schedule.New(spec, d.b.ScheduleActions(spec.Policy), ev, opt)
	return sched, err
}

// reschedule hands a reloaded configuration's schedule, policy and
// notifiers to the running scheduler; an error leaves it as it was.
func (d *Daemon) reschedule(sched *schedule.Scheduler, c *config.Config, hostname string) error {
	spec, err := c.Schedule.Spec()
	if err != nil {
		return err
	}
	n, err := notify.FromConfig(c.Notify, hostname)
	if err != nil {
		return err
	}
	ch := schedule.Change{Spec: spec, Actions: d.b.ScheduleActions(spec.Policy)}
	if n != nil {
		ch.Notifier = n
	}
	return sched.Reconfigure(ch)
}

// recoverAtStart finishes a run left unfinished before anything else (a
// rehearsal's copy is removed, an apply finished or restored); the
// outcome is in the event log either way.
func recoverAtStart(ctx context.Context, b *backend.Backend, log *slog.Logger) {
	rr, err := b.RecoverRehearsal(ctx)
	switch {
	case err != nil:
		log.Error("could not clean up the rehearsal left unfinished", "err", err)
	case rr != nil:
		log.Warn("cleaned up a rehearsal left unfinished", "run", rr.Run, "state", rr.State)
	}
	res, err := b.Recover(ctx)
	switch {
	case err != nil:
		log.Error("could not finish the run left unfinished; applies wait until it is", "err", err)
	case res != nil:
		log.Warn("finished a run left unfinished when the agent stopped", "run", res.Run, "state", res.State, "failed_step", res.FailedStep)
	}
}

// serve starts the local API.
func (d *Daemon) serve() error {
	srv, err := api.NewServer(d.b, api.Options{AdminGroup: d.cfg.API.AdminGroup, Log: d.log})
	if err != nil {
		return err
	}
	path := SocketPath(d.cfg)
	l, err := platform.ListenLocal(path, d.cfg.API.Group)
	if err != nil {
		return fmt.Errorf("local API (api.socket = %q, api.group = %q): %w", path, d.cfg.API.Group, err)
	}
	d.srv, d.served = srv, make(chan error, 1)
	go func() { d.served <- srv.Serve(l) }()
	d.log.Info("local API listening", "socket", path, "group", d.cfg.API.Group, "admin_group", d.cfg.API.AdminGroup)
	return nil
}

// Stop ends the API, the schedule and the reloads, and waits for a run in
// progress until ctx's deadline; a run still going then is left to the
// journal, which the next start finishes. The state is closed only once
// nothing uses it any more.
func (d *Daemon) Stop(ctx context.Context) error {
	err := d.srv.Shutdown(ctx)
	if serr := <-d.served; serr != nil {
		d.log.Error("local API stopped serving", "err", serr)
	}
	d.stop()
	if serr := <-d.scheduled; serr != nil && !errors.Is(serr, context.Canceled) {
		d.log.Error("schedule stopped", "err", serr)
	}
	<-d.reloads
	<-d.trimmed
	if !d.b.Wait(ctx) {
		d.log.Warn("an apply is still running; the agent stops anyway and the next start finishes or restores it")
		return errors.Join(err, errors.New("stopped during an apply: the next start finishes it"))
	}
	return errors.Join(err, d.st.Close())
}

// SocketPath is the configured local API endpoint or the platform's default.
func SocketPath(c *config.Config) string {
	if c.API.Socket != "" {
		return c.API.Socket
	}
	return api.DefaultPath()
}
