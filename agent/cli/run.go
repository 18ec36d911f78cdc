package cli

import (
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/daemon"
	"github.com/upkeep-erp/upkeep/agent/service"
)

func (a *app) runCmd() *cobra.Command {
	return &cobra.Command{
		Use: "run",
		Short: "Run the agent in the foreground (what the installed service runs): finish an interrupted apply, " +
			"then serve the local API and run the schedule; stops on SIGTERM or Ctrl-C",
		Args: exactArgs(0, "no arguments"),
		RunE: func(*cobra.Command, []string) error {
			log := service.NewLogger(service.Name, a.out)
			c, err := a.checked("")
			if err != nil {
				log.Error("not starting: the configuration cannot be used (upkeep config check says the same)", "err", err)
				return err
			}
			return service.Run(service.RunOptions{Agent: daemon.New(daemon.Options{Config: c, Log: log, Version: version()}), Log: log})
		},
	}
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
