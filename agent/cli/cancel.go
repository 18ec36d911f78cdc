package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/daemon"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

func (a *app) cancelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cancel [RUN]",
		Short: "Stop the agent's apply or rehearsal in progress while that is still safe (before the ERP's server is stopped)",
		Long: "Stop the apply or rehearsal the agent is running (RUN: its id; default: the one in progress). " +
			"A run is cancelled only before its point of no return; after it, it goes on and ends updated and healthy, " +
			"or restores the instance exactly as before. Cancelling waits until the run has stopped and says how it ended.",
		Args: cliutil.MaxArgs(1, "at most one run id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.load()
			if err != nil {
				return err
			}
			link, err := a.running(cmd.Context(), c, "cancel")
			if err != nil {
				return err
			}
			if link.cl == nil {
				return withCode(ExitError, noAgentToCancel(c, link.why))
			}
			id, err := runToCancel(link.st, args)
			if err != nil {
				return err
			}
			run, err := link.cl.Cancel(cmd.Context(), id)
			if err != nil {
				return cancelRefused(err)
			}
			return a.print(run, func(w io.Writer) { printCancelled(w, run) })
		},
	}
}

// runToCancel is the run named in args, else the agent's run in progress.
func runToCancel(st *api.Status, args []string) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	if st == nil || st.Running == nil {
		return "", withCode(ExitError, errors.New("the agent runs no apply or rehearsal now: nothing to cancel (upkeep history lists the runs)"))
	}
	return st.Running.ID, nil
}

// noAgentToCancel is cancel's error when no agent answers.
func noAgentToCancel(c *config.Config, why string) error {
	if why == notAsked {
		return errors.New("upkeep cancel asks the running agent to stop its run, and --no-agent says not to ask it: drop --no-agent")
	}
	return fmt.Errorf("upkeep cancel stops a run of the agent, but no agent answers on %s (%s); "+
		"a run started with --no-agent belongs to the command that started it", daemon.SocketPath(c), why)
}

// printCancelled says how the cancelled run ended.
func printCancelled(w io.Writer, run *api.Run) {
	fmt.Fprintf(w, "Run %s (%s) stopped: %s.\n", run.ID, run.Kind, run.State)
	if run.Step != "" {
		fmt.Fprintf(w, "It stopped during step %q, before the ERP was changed.\n", run.Step)
	}
	fmt.Fprintf(w, "upkeep history %s shows its steps.\n", run.ID)
}

// cancelRefused gives the agent's refusal its exit code: a run past its
// point of no return, ended, or driven by another process is no conflict
// with this command (which exits 7 for "another apply is running"), it is
// a refusal whose message says why and what happens instead.
func cancelRefused(err error) error {
	var cf *api.ConflictError
	if errors.As(err, &cf) {
		return withCode(ExitError, err)
	}
	return agentCode(err)
}
