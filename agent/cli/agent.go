package cli

import (
	"context"
	"errors"
	"fmt"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/daemon"
	"github.com/upkeep-erp/upkeep/agent/host"
)

// agentLink is the agent a command works through: the running agent's
// local API, or the same agent run in this process (daemon.Local), which
// the command reaches through the same client.
type agentLink struct {
	cl    *api.Client   // set once connected
	st    *api.Status   // the running agent's status; nil in this process
	local *daemon.Local // set: the agent runs in this process
	why   string        // why the agent runs in this process (no running agent answers, or --no-agent)
}

// close stops the agent run in this process, once its run has ended.
func (l agentLink) close() {
	if l.local != nil {
		l.local.Close()
	}
}

// notAsked is agentLink.why with --no-agent.
const notAsked = "not asked: --no-agent"

// running finds the running agent through its local API; without one, or
// with --no-agent, the link has no client and says why. act names a
// command that changes something ("" for one that only reads): a caller
// the agent lets only read (or not connect) then gets an error naming the
// fix, never a run in this process, which would bypass the agent's lock
// and the rights it checks.
func (a *app) running(ctx context.Context, c *config.Config, act string) (agentLink, error) {
	if a.noAgent {
		return agentLink{why: notAsked}, nil
	}
	cl := &api.Client{Path: daemon.SocketPath(c), Name: "cli"}
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

// inProcess runs the agent in this process (why: why not the running
// one), with the options of o.
func (a *app) inProcess(c *config.Config, why string, o localFlags) (agentLink, error) {
	l, err := daemon.OpenLocal(daemon.LocalOptions{Config: c, Caller: caller(), Version: version(),
		ForceUnhealthy: o.forceUnhealthy, ShowRecovery: newProgress(a.errOut).event})
	if err != nil {
		if werr := host.CheckStateDir(c.State.Dir, ""); werr != nil {
			return agentLink{}, withCode(ExitUsage, werr)
		}
		return agentLink{}, err
	}
	return agentLink{cl: l.Client, local: l, why: why}, nil
}

// localFlags are what a command asks of the agent run in its process.
type localFlags struct {
	always         bool // run it in this process even when the agent answers (what the agent does not offer)
	forceUnhealthy bool
}

// connect is the running agent, else the agent in this process.
func (a *app) connect(ctx context.Context, c *config.Config, act string, o localFlags) (agentLink, error) {
	if o.always {
		return a.inProcess(c, "not offered by the running agent", o)
	}
	link, err := a.running(ctx, c, act)
	if err != nil || link.cl != nil {
		return link, err
	}
	return a.inProcess(c, link.why, o)
}

// caller is this command's user as the agent in this process knows them:
// they may act (the files decide what they may change).
func caller() api.Caller {
	c := api.Caller{User: userName(), CanAct: true, Client: "cli"}
	if u, err := user.Current(); err == nil {
		c.UID = u.Uid
	}
	return c
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

// agentCmd is the body of a command that works through the agent: the
// running one when it answers, else the same agent in this process; act
// is as for running. Errors get the exit codes of docs/CLI.md.
func (a *app) agentCmd(act string, body func(*cobra.Command, []string, *config.Config, agentLink) error) func(*cobra.Command, []string) error {
	return a.agentCmdWith(act, func() localFlags { return localFlags{} }, body)
}

// agentCmdWith is agentCmd whose agent in this process takes the options
// opts returns once the flags are parsed.
func (a *app) agentCmdWith(act string, opts func() localFlags, body func(*cobra.Command, []string, *config.Config, agentLink) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := a.load()
		if err != nil {
			return err
		}
		link, err := a.connect(cmd.Context(), c, act, opts())
		if err != nil {
			return err
		}
		defer link.close()
		return agentCode(body(cmd, args, c, link))
	}
}
