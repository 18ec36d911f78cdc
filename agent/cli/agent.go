package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// agentLink is how a command reaches the running agent.
type agentLink struct {
	cl  *api.Client // nil: work standalone, on the state database
	st  *api.Status // the agent's status, when cl is set
	why string      // why the command works standalone
}

// notAsked is agentLink.why with --no-agent.
const notAsked = "not asked: --no-agent"

// agent finds the running agent through its local API. Without one, or
// with --no-agent, the command works standalone. act names a command that
// changes something ("" for one that only reads): a caller the agent lets
// only read (or not connect) then gets an error naming the fix, never a
// standalone run, which would bypass the agent's lock and the rights it
// checks.
func (a *app) agent(ctx context.Context, c *config.Config, act string) (agentLink, error) {
	if a.noAgent {
		return agentLink{why: notAsked}, nil
	}
	cl := &api.Client{Path: socketPath(c), Name: "cli"}
	st, err := cl.Status(ctx)
	var (
		ue *api.UnreachableError
		ad *api.AccessDeniedError
	)
	switch {
	case errors.As(err, &ue), errors.As(err, &ad) && act == "":
		return agentLink{why: err.Error()}, nil
	case errors.As(err, &ad):
		return agentLink{}, mayNotAct(act, "", c.API.AdminGroup, err)
	case err != nil:
		return agentLink{}, withCode(ExitError, fmt.Errorf("ask the running agent for its status: %w", err))
	case act != "" && !st.Caller.CanAct:
		return agentLink{}, mayNotAct(act, st.Caller.User, c.API.AdminGroup, nil)
	}
	return agentLink{cl: cl, st: st}, nil
}

// mayNotAct is the error of a caller who may not change anything through
// the agent (user: who the agent says the caller is; cause: why the
// caller could not even connect).
func mayNotAct(cmd, user, adminGroup string, cause error) error {
	who := user
	if who == "" {
		who = "you"
	}
	fix := fmt.Sprintf("run it as root (sudo upkeep %s …), or set api.admin_group in the agent's configuration and join that group", cmd)
	if adminGroup != "" {
		fix = fmt.Sprintf("run it as root (sudo upkeep %s …), or ask an administrator to add %s to the agent's admin group %q (api.admin_group)", cmd, who, adminGroup)
	}
	msg := fmt.Sprintf("upkeep %s acts through the running agent, and %s may only read there: %s", cmd, who, fix)
	if cause != nil {
		msg = fmt.Sprintf("upkeep %s goes through the running agent, which refused you: %v; %s", cmd, cause, fix)
	}
	return withCode(ExitError, errors.New(msg))
}

// agentCmd is the body of a command that works through the running agent
// when one answers, else standalone on the state database; act is as for
// agent. The agent's errors get the exit codes of docs/CLI.md.
func (a *app) agentCmd(act string, viaAgent func(*cobra.Command, []string, *config.Config, *api.Client) error,
	alone func(*cobra.Command, []string, *config.Config, *store.Store) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := a.load()
		if err != nil {
			return err
		}
		link, err := a.agent(cmd.Context(), c, act)
		if err != nil {
			return err
		}
		if link.cl == nil {
			return onStore(cmd, args, c, alone)
		}
		return agentCode(viaAgent(cmd, args, c, link.cl))
	}
}

// agentCode gives an error of the agent's local API its exit code: a
// conflict is another run going (7, naming it) or a plan that changed
// since it was shown (6); a scan that failed gets the code of its cause
// (2, 3, 4, 5, as standalone); a plan without a required rehearsal is 10;
// the rest is 1.
func agentCode(err error) error {
	var (
		ce cliutil.CodeError
		cf *api.ConflictError
		ad *api.AccessDeniedError
		na *api.NotAvailableError
		nr *api.NotRehearsedError
		se *api.ScanError
		ue *api.UnreachableError
	)
	switch {
	case err == nil, errors.As(err, &ce):
		return err
	case errors.As(err, &se):
		return withCode(scanExit(se.Code), err)
	case errors.As(err, &cf) && cf.RunID == "" && strings.Contains(cf.Message, "plan changed"):
		return withCode(ExitPlanChanged, err)
	case errors.As(err, &cf) && cf.RunID != "":
		return withCode(ExitLocked, fmt.Errorf("%w (run %s: upkeep history %s follows it)", err, cf.RunID, cf.RunID))
	case errors.As(err, &cf):
		return withCode(ExitLocked, err)
	case errors.As(err, &ad):
		return withCode(ExitError, fmt.Errorf("the agent refused: %w", err))
	case errors.As(err, &nr):
		return withCode(ExitNotRehearsed, err)
	case errors.As(err, &na):
		return withCode(ExitError, fmt.Errorf("%w\n(upkeep --no-agent runs the command in this process, without the agent)", err))
	case errors.As(err, &ue):
		return withCode(ExitError, fmt.Errorf("the agent went away: %w", err))
	}
	return withCode(ExitError, err)
}

// scanExit is the exit code of a failed scan's cause, as standalone
// (scanCode); a cause this command line does not know is 1.
func scanExit(code string) int {
	switch code {
	case api.CodeConfig:
		return ExitUsage
	case api.CodeERP:
		return ExitERP
	case api.CodeRepository:
		return ExitRepository
	case api.CodeUntrusted:
		return ExitUntrusted
	}
	return ExitError
}
