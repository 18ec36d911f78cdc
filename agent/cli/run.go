package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/notify"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/service"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

func init() { extraCommands = append(extraCommands, (*app).runCmd, (*app).serviceCmd) }

func (a *app) runCmd() *cobra.Command {
	return &cobra.Command{
		Use: "run",
		Short: "Run the agent in the foreground (what the installed service runs): finish an interrupted apply, " +
			"then serve the local API and run the schedule; stops on SIGTERM or Ctrl-C",
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			log := service.NewLogger(service.Name, a.out)
			c, err := a.load()
			if err != nil {
				log.Error("not starting: the configuration is not valid", "err", err)
				return err
			}
			return service.Run(service.RunOptions{Agent: &daemon{cfg: c, log: log}, Log: log})
		},
	}
}

// daemon is the agent the service runs: at start it finishes a run a crash
// left unfinished, then serves the local API and runs the schedule.
type daemon struct {
	cfg       *config.Config
	log       *slog.Logger
	st        *store.Store
	b         *backend.Backend
	srv       *api.Server
	served    chan error
	stopSched context.CancelFunc
	scheduled chan error
}

func (d *daemon) Start(ctx context.Context) error {
	trimFootprint(ctx)
	spec, err := d.cfg.Schedule.Spec()
	if err != nil {
		return err // validated with the configuration
	}
	hup := notifyReload() // from now on a SIGHUP waits for the reload, never stops the agent
	st, err := store.Open(d.cfg.State.Dir, nil)
	if err != nil {
		signal.Stop(hup)
		return err
	}
	ev := store.NewEvents(st)
	sched, err := d.wire(st, ev, spec)
	if err == nil {
		d.recover(ctx)
		err = d.serve()
	}
	if err != nil {
		signal.Stop(hup)
		st.Close()
		return err
	}
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stopSched, d.scheduled = stop, make(chan error, 1)
	go func() { d.scheduled <- sched.Run(sctx) }()
	go d.reloadOnSignal(sctx, hup, ev)
	d.log.Info("schedule running", "every", spec.Every, "cron", spec.Cron, "windows", spec.Windows.String(),
		"patches", spec.Policy.Patches.String(), "updates", spec.Policy.Updates.String(), "upgrades", spec.Policy.Upgrades.String())
	return nil
}

// wire builds the backend and the scheduler over the store and the event log.
func (d *daemon) wire(st *store.Store, ev *store.Events, spec schedule.Spec) (*schedule.Scheduler, error) {
	host, _ := os.Hostname()
	n, err := notify.FromConfig(d.cfg.Notify, host)
	if err != nil {
		return nil, err
	}
	var sched *schedule.Scheduler
	d.st = st
	d.b = backend.New(backend.Options{Config: d.cfg, Store: st, Events: ev, Version: version(), Started: time.Now(), Log: d.log,
		OpenERP:    func(c *config.Config) (erp.Reader, error) { return openERP(c) },
		OpenWriter: func(c *config.Config) (erp.Writer, error) { return openWriter(c) },
		Schedule:   func() schedule.Status { return sched.Status() },
		OnReload:   func(c *config.Config) error { return d.reschedule(sched, c, host) }})
	opt := schedule.Options{Logger: d.log}
	if n != nil {
		opt.Notifier = n
	}
	sched, err = schedule.New(spec, d.b.ScheduleActions(spec.Policy), ev, opt)
	return sched, err
}

// reschedule hands a reloaded configuration's schedule, policy and
// notifiers to the running scheduler; an error leaves it as it was.
func (d *daemon) reschedule(sched *schedule.Scheduler, c *config.Config, host string) error {
	spec, err := c.Schedule.Spec()
	if err != nil {
		return err
	}
	n, err := notify.FromConfig(c.Notify, host)
	if err != nil {
		return err
	}
	ch := schedule.Change{Spec: spec, Actions: d.b.ScheduleActions(spec.Policy)}
	if n != nil {
		ch.Notifier = n
	}
	return sched.Reconfigure(ch)
}

// recover finishes a run left unfinished before anything else (a
// rehearsal's copy is removed, an apply finished or restored); the
// outcome is in the event log either way.
func (d *daemon) recover(ctx context.Context) {
	rr, err := d.b.RecoverRehearsal(ctx)
	switch {
	case err != nil:
		d.log.Error("could not clean up the rehearsal left unfinished", "err", err)
	case rr != nil:
		d.log.Warn("cleaned up a rehearsal left unfinished", "run", rr.Run, "state", rr.State)
	}
	res, err := d.b.Recover(ctx)
	switch {
	case err != nil:
		d.log.Error("could not finish the run left unfinished; applies wait until it is", "err", err)
	case res != nil:
		d.log.Warn("finished a run left unfinished when the agent stopped", "run", res.Run, "state", res.State, "failed_step", res.FailedStep)
	}
}

// serve starts the local API.
func (d *daemon) serve() error {
	srv, err := api.NewServer(d.b, api.Options{AdminGroup: d.cfg.API.AdminGroup, Log: d.log})
	if err != nil {
		return err
	}
	path := socketPath(d.cfg)
	l, err := platform.ListenLocal(path, d.cfg.API.Group)
	if err != nil {
		return fmt.Errorf("local API (api.socket = %q, api.group = %q): %w", path, d.cfg.API.Group, err)
	}
	d.srv, d.served = srv, make(chan error, 1)
	go func() { d.served <- srv.Serve(l) }()
	d.log.Info("local API listening", "socket", path, "group", d.cfg.API.Group, "admin_group", d.cfg.API.AdminGroup)
	return nil
}

// Stop ends the API and the schedule, and waits for a run in progress
// until ctx's deadline; a run still going then is left to the journal,
// which the next start finishes.
func (d *daemon) Stop(ctx context.Context) error {
	err := d.srv.Shutdown(ctx)
	if serr := <-d.served; serr != nil {
		d.log.Error("local API stopped serving", "err", serr)
	}
	d.stopSched()
	if serr := <-d.scheduled; serr != nil && !errors.Is(serr, context.Canceled) {
		d.log.Error("schedule stopped", "err", serr)
	}
	if !d.b.Wait(ctx) {
		d.log.Warn("an apply is still running; the agent stops anyway and the next start finishes or restores it")
		return errors.Join(err, errors.New("stopped during an apply: the next start finishes it"))
	}
	return errors.Join(err, d.st.Close())
}

// socketPath is the configured local API endpoint or the platform's default.
func socketPath(c *config.Config) string {
	if c.API.Socket != "" {
		return c.API.Socket
	}
	return api.DefaultPath()
}

// version is the binary's module version and VCS revision, as built.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
