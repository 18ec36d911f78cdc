package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/service"
)

// serviceFlags are the service subcommands' flags.
type serviceFlags struct {
	name, user, group, root, system, executable string
}

func (a *app) serviceCmd() *cobra.Command {
	var f serviceFlags
	cmd := &cobra.Command{Use: "service", Short: "Install and control the agent as a system service (systemd, SysV init, launchd, Windows)",
		Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
			return withCode(ExitUsage, fmt.Errorf("service needs a subcommand: install, uninstall, start, stop or status"))
		}}
	cmd.PersistentFlags().StringVar(&f.name, "name", service.Name, "the service's name")
	cmd.AddCommand(a.serviceInstallCmd(&f), a.serviceUninstallCmd(&f), a.serviceStatusCmd(&f),
		a.serviceControlCmd(&f, "start", "Start the installed service", "started", (*service.Manager).Start),
		a.serviceControlCmd(&f, "stop", "Stop the service", "stopped", (*service.Manager).Stop))
	return cmd
}

func (a *app) serviceInstallCmd(f *serviceFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install the service running 'upkeep run --config FILE' (the configuration is validated first)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			if f.root != "" {
				return a.atRoot(f, true)
			}
			spec, err := a.serviceSpec(f)
			if err != nil {
				return err
			}
			if err := a.checkInstall(spec); err != nil {
				return err
			}
			m, err := newManager(spec)
			if err != nil {
				return err
			}
			if err := m.Install(); err != nil {
				return err
			}
			return a.printService(m, spec, "installed", "start it with 'upkeep service start'")
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.user, "user", "", "run the agent as this user (default root)")
	fl.StringVar(&f.group, "group", "", "run the agent with this group")
	fl.StringVar(&f.root, "root", "", "write the service file under this folder instead of installing it (a package's staging root)")
	fl.StringVar(&f.system, "system", "", "with --root: linux-systemd, unix-systemv or darwin-launchd (default: this machine's)")
	fl.StringVar(&f.executable, "executable", "", "the upkeep binary the service runs (default: this one)")
	return cmd
}

func (a *app) serviceUninstallCmd(f *serviceFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the service (stop it first)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			if f.root != "" {
				return a.atRoot(f, false)
			}
			m, spec, err := a.serviceManager(f)
			if err != nil {
				return err
			}
			if err := m.Uninstall(); err != nil {
				return err
			}
			return a.printService(m, spec, "uninstalled", "")
		},
	}
	cmd.Flags().StringVar(&f.root, "root", "", "remove the service file from this folder instead")
	cmd.Flags().StringVar(&f.system, "system", "", "with --root: linux-systemd, unix-systemv or darwin-launchd (default: this machine's)")
	return cmd
}

func (a *app) serviceControlCmd(f *serviceFlags, verb, short, done string, do func(*service.Manager) error) *cobra.Command {
	return &cobra.Command{
		Use:   verb,
		Short: short,
		Args:  exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			m, spec, err := a.serviceManager(f)
			if err != nil {
				return err
			}
			if err := do(m); err != nil {
				return err
			}
			return a.printService(m, spec, done, "")
		},
	}
}

// serviceStatus is `upkeep service status --json`.
type serviceStatus struct {
	Service    string      `json:"service"`
	System     string      `json:"system"`
	Status     string      `json:"status"`
	Agent      *api.Status `json:"agent,omitempty"`       // what the running agent says
	AgentError string      `json:"agent_error,omitempty"` // why it could not be asked
}

func (a *app) serviceStatusCmd(f *serviceFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Say whether the service is installed and running, and what the running agent reports",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, spec, err := a.serviceManager(f)
			if err != nil {
				return err
			}
			st, err := m.Status()
			if err != nil {
				return err
			}
			out := serviceStatus{Service: spec.Name, System: m.System(), Status: string(st)}
			if st == service.Running {
				out.Agent, out.AgentError = a.askAgent(cmd.Context())
			}
			return a.print(out, func(w io.Writer) { printServiceStatus(w, out) })
		},
	}
}

// askAgent asks the running agent for its status (through the configured
// socket when the configuration is readable, else the default one).
func (a *app) askAgent(ctx context.Context) (*api.Status, string) {
	cl := &api.Client{}
	if c, err := config.Load(a.configPath); err == nil {
		cl.Path = c.API.Socket
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := cl.Status(ctx)
	if err != nil {
		return nil, err.Error()
	}
	return st, ""
}

func printServiceStatus(w io.Writer, s serviceStatus) {
	fmt.Fprintf(w, "%s (%s): %s\n", s.Service, s.System, s.Status)
	if s.Agent != nil {
		fmt.Fprintf(w, "agent %s, pid %d, since %s, ERP %s, configuration %s\n", s.Agent.Version, s.Agent.PID,
			s.Agent.Since.Format(time.RFC3339), s.Agent.ERP, s.Agent.Config)
		if s.Agent.LastScan != nil {
			fmt.Fprintf(w, "last scan %s: %s\n", s.Agent.LastScan.At, s.Agent.LastScan.Summary)
		}
	}
	if s.AgentError != "" {
		fmt.Fprintf(w, "the agent did not answer: %s\n", s.AgentError)
	}
}

// serviceSpec is the service for this binary and configuration file.
func (a *app) serviceSpec(f *serviceFlags) (service.Spec, error) {
	exe := f.executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return service.Spec{}, fmt.Errorf("find this program's path: %w (give --executable)", err)
		}
		if exe, err = filepath.EvalSymlinks(exe); err != nil {
			return service.Spec{}, fmt.Errorf("resolve this program's path: %w (give --executable)", err)
		}
	}
	exe, err := filepath.Abs(exe)
	if err != nil {
		return service.Spec{}, withCode(ExitUsage, fmt.Errorf("--executable: %w", err))
	}
	conf, err := filepath.Abs(a.configPath)
	if err != nil {
		return service.Spec{}, withCode(ExitUsage, fmt.Errorf("--config: %w", err))
	}
	spec := service.DefaultSpec(exe, conf)
	spec.Name, spec.User, spec.Group = f.name, f.user, f.group
	return spec, nil
}

// checkInstall refuses to install a service that could not start: a bad
// configuration, or a user or group that does not exist.
func (a *app) checkInstall(spec service.Spec) error {
	if _, err := a.load(); err != nil {
		return err
	}
	if spec.User != "" {
		if _, err := user.Lookup(spec.User); err != nil {
			return withCode(ExitUsage, fmt.Errorf("--user %s: %w (create the user first, e.g. useradd --system %s)", spec.User, err, spec.User))
		}
	}
	if spec.Group != "" {
		if _, err := user.LookupGroup(spec.Group); err != nil {
			return withCode(ExitUsage, fmt.Errorf("--group %s: %w (create the group first, e.g. groupadd --system %s)", spec.Group, err, spec.Group))
		}
	}
	return nil
}

// serviceManager is the manager of the service f names.
func (a *app) serviceManager(f *serviceFlags) (*service.Manager, service.Spec, error) {
	spec, err := a.serviceSpec(f)
	if err != nil {
		return nil, spec, err
	}
	m, err := newManager(spec)
	return m, spec, err
}

func newManager(spec service.Spec) (*service.Manager, error) {
	m, err := service.NewManager(spec)
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	return m, nil
}

// atRoot writes the service's file for --system under --root (a package's
// staging root) when install is set, else removes it from there.
func (a *app) atRoot(f *serviceFlags, install bool) error {
	spec, err := a.serviceSpec(f)
	if err != nil {
		return err
	}
	u, err := service.Render(systemOf(f), spec)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	path := filepath.Join(f.root, u.Path)
	if !install {
		if err := service.UninstallRoot(f.root, u); err != nil {
			return err
		}
		return a.print(map[string]string{"uninstalled": path}, func(w io.Writer) { fmt.Fprintf(w, "removed %s\n", path) })
	}
	if err := service.InstallRoot(f.root, u); err != nil {
		return err
	}
	return a.print(map[string]string{"installed": path, "system": u.System}, func(w io.Writer) {
		fmt.Fprintf(w, "wrote %s (%s)\n", path, u.System)
	})
}

// systemOf is the init system --system names, or this machine's.
func systemOf(f *serviceFlags) string {
	if f.system != "" {
		return f.system
	}
	return service.Platform()
}

func (a *app) printService(m *service.Manager, spec service.Spec, done, next string) error {
	out := map[string]string{"service": spec.Name, "system": m.System(), "result": done}
	if u := m.Unit(); u != nil {
		out["file"] = u.Path
	}
	return a.print(out, func(w io.Writer) {
		fmt.Fprintf(w, "%s %s (%s)", done, spec.Name, m.System())
		if out["file"] != "" {
			fmt.Fprintf(w, ": %s", out["file"])
		}
		if next != "" {
			fmt.Fprintf(w, "; %s", next)
		}
		fmt.Fprintln(w)
	})
}
