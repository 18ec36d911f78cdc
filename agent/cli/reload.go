package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

func init() { extraCommands = append(extraCommands, (*app).reloadCmd) }

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
			link, err := a.agent(cmd.Context(), c, "reload")
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

// notifyReload catches the platform's reload signals (SIGHUP; none on
// Windows) on the returned channel, so that one no longer stops the agent.
func notifyReload() chan os.Signal {
	ch := make(chan os.Signal, 1)
	if sigs := platform.ReloadSignals(); len(sigs) > 0 {
		signal.Notify(ch, sigs...)
	}
	return ch
}

// reloadOnSignal reloads the configuration on each signal from ch until
// ctx ends: a file with an error is logged and recorded as a warning
// event, and the configuration in use stays.
func (d *daemon) reloadOnSignal(ctx context.Context, ch chan os.Signal, ev *store.Events) {
	defer signal.Stop(ch)
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-ch:
			d.reloadNow(ctx, ev, sig.String())
		}
	}
}

// reloadNow is one reload asked by a signal.
func (d *daemon) reloadNow(ctx context.Context, ev *store.Events, sig string) {
	r, err := d.b.Reload(ctx, api.Caller{User: "signal " + sig})
	if err == nil {
		d.log.Info("configuration reloaded on signal", "signal", sig, "changed", r.Changed, "restart_needed", r.Restart)
		return
	}
	d.log.Error("configuration not reloaded; the agent goes on with the one in use", "signal", sig, "err", err)
	_, _, aerr := ev.Add(ctx, store.Event{Kind: "config-rejected", Level: "warning",
		Title: "The changed configuration was not loaded", Body: err.Error() + "\nFix the file (upkeep config check), then upkeep reload."})
	if aerr != nil {
		d.log.Error("record event", "err", aerr)
	}
}
