package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
)

func (a *app) reloadCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reload",
		Short: "Make the running agent read its configuration file again (like SIGHUP); a file with an error changes nothing",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.load()
			if err != nil {
				return fmt.Errorf("%w\nNothing was reloaded: a running agent goes on with the configuration in use. "+
					"Fix the file (upkeep config check), then upkeep reload again", err)
			}
			link, err := a.running(cmd.Context(), c, "reload")
			if err != nil {
				return err
			}
			if link.cl == nil {
				return withCode(ExitError, noAgentToReload(c, link.why))
			}
			r, err := link.cl.Reload(cmd.Context())
			if err != nil {
				return reloadRefused(err)
			}
			return a.print(r, func(w io.Writer) { printReloaded(w, r) })
		},
	}
}

// noAgentToReload is reload's error when no agent answers: there is
// nothing to reload, and the file (valid) is read at the agent's start.
func noAgentToReload(c *config.Config, why string) error {
	if why == notAsked {
		return fmt.Errorf("upkeep reload asks the running agent to read %s again, and --no-agent says not to ask it: drop --no-agent", c.Path())
	}
	return fmt.Errorf("upkeep reload asks the running agent to read its configuration again, but no agent answers (%s); "+
		"%s is valid (upkeep config check says so too) and the agent reads it when it starts (upkeep service start, or upkeep run)", why, c.Path())
}

// reloadRefused gives the agent's refusal its exit code: a file the agent
// cannot use is a configuration error (2); the configuration in use stays.
func reloadRefused(err error) error {
	var br *api.BadRequestError
	if errors.As(err, &br) {
		return withCode(ExitUsage, fmt.Errorf("%w\nFix the file (upkeep config check), then upkeep reload again", err))
	}
	return agentCode(err)
}

// printReloaded says what a reload put in use and what waits for a restart.
func printReloaded(w io.Writer, r *api.Reloaded) {
	switch {
	case len(r.Changed) == 0 && len(r.Restart) == 0:
		fmt.Fprintf(w, "Reloaded %s: nothing changed.\n", r.Config)
	case len(r.Changed) > 0:
		fmt.Fprintf(w, "Reloaded %s: now in use: %v.\n", r.Config, r.Changed)
	default:
		fmt.Fprintf(w, "Reloaded %s.\n", r.Config)
	}
	if len(r.Restart) > 0 {
		fmt.Fprintf(w, "At the next start only: %v.\n", r.Restart)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "Note:", n)
	}
}
