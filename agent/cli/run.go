package cli

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/service"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

func init() { extraCommands = append(extraCommands, (*app).runCmd, (*app).serviceCmd) }

func (a *app) runCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the agent in the foreground (what the installed service runs): the local API; stops on SIGTERM or Ctrl-C",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			log := service.NewLogger(service.Name, a.out)
			c, err := a.load()
			if err != nil {
				log.Error("not starting: the configuration is not valid", "err", err)
				return err
			}
			return service.Run(service.RunOptions{Agent: &daemon{a: a, cfg: c, log: log}, Log: log})
		},
	}
}

// daemon is the agent the service runs: for now, the local API over the
// state store and the scan.
type daemon struct {
	a      *app
	cfg    *config.Config
	log    *slog.Logger
	st     *store.Store
	srv    *api.Server
	served chan error
	scanMu sync.Mutex // one scan at a time: they share the metadata cache
}

func (d *daemon) Start(context.Context) error {
	st, err := store.Open(d.cfg.State.Dir, nil)
	if err != nil {
		return err
	}
	b := backend.New(backend.Options{Config: d.cfg, Store: st, OpenERP: func(c *config.Config) (erp.Reader, error) { return openERP(c) },
		Scan: d.scan, Version: version(), Started: time.Now(),
		OnReload: func(*config.Config) { d.log.Info("configuration saved through the local API") }})
	srv, err := api.NewServer(b, api.Options{AdminGroup: d.cfg.API.AdminGroup, Log: d.log})
	if err != nil {
		st.Close()
		return err
	}
	path := socketPath(d.cfg)
	l, err := platform.ListenLocal(path, d.cfg.API.Group)
	if err != nil {
		st.Close()
		return fmt.Errorf("local API (api.socket = %q, api.group = %q): %w", path, d.cfg.API.Group, err)
	}
	d.st, d.srv, d.served = st, srv, make(chan error, 1)
	go func() { d.served <- srv.Serve(l) }()
	d.log.Info("local API listening", "socket", path, "group", d.cfg.API.Group, "admin_group", d.cfg.API.AdminGroup)
	return nil
}

func (d *daemon) Stop(ctx context.Context) error {
	err := d.srv.Shutdown(ctx)
	if serr := <-d.served; serr != nil {
		d.log.Error("local API stopped serving", "err", serr)
	}
	if cerr := d.st.Close(); err == nil {
		err = cerr
	}
	return err
}

// scan is `upkeep scan` for the local API: it saves the report too.
func (d *daemon) scan(ctx context.Context, c *config.Config, req api.ScanRequest) (*scan.Report, error) {
	d.scanMu.Lock()
	defer d.scanMu.Unlock()
	cmd := &cobra.Command{}
	cmd.SetContext(ctx)
	return d.a.scan(cmd, c, d.st, scanFlags{install: req.Install, upgrades: req.IncludeUpgrades})
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
