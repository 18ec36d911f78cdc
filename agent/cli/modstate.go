package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// moduleStateCmd is upkeep disable or upkeep enable (action).
func (a *app) moduleStateCmd(action string) *cobra.Command {
	var withDeps, yes bool
	short := map[string]string{
		api.ActionDisable: "Disable installed modules (their data is kept), journaled and backed up like an apply",
		api.ActionEnable:  "Enable modules that Upkeep disabled, journaled and backed up like an apply",
	}[action]
	cmd := &cobra.Command{
		Use:   action + " MODULE…",
		Short: short,
		Long: short + ": the agent stops the ERP, backs it up, runs the ERP's own update to " + action + " the modules, reads the ERP's state back, " +
			"starts it and checks its health; any failure restores the instance. Modules that depend on one to disable are named, " +
			"and disabled with it only with --with-dependents (else exit 2). docs/CLI.md says what disabling means for each ERP.",
		Args: cliutil.MinArgs(1, "name the modules to "+action),
		RunE: a.agentCmd(action, func(cmd *cobra.Command, args []string, _ *config.Config, link agentLink) error {
			return a.moduleState(cmd, link, api.ModuleStateRequest{Action: action, Modules: args, WithDependents: withDeps}, yes)
		}),
	}
	if action == api.ActionDisable {
		cmd.Flags().BoolVar(&withDeps, "with-dependents", false, "also disable the installed modules that depend on them")
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

// moduleState has the agent plan the change, shows it, asks, then has the
// agent run exactly that plan and follows the run.
func (a *app) moduleState(cmd *cobra.Command, link agentLink, req api.ModuleStateRequest, yes bool) error {
	ctx, stop := interruptible(cmd)
	defer stop()
	ans, err := link.cl.ModuleState(ctx, req)
	var br *api.BadRequestError
	if errors.As(err, &br) {
		return withCode(ExitUsage, err)
	}
	if err != nil {
		return err
	}
	if !a.json {
		printStatePlan(a.out, req.Action, ans)
	}
	if err := a.confirmState(req.Action, yes); err != nil {
		return err
	}
	req.PlanHash = ans.Plan.Hash
	started, err := link.cl.ModuleState(ctx, req)
	if err != nil {
		return startRefused(ctx, link.cl, err)
	}
	fl := &follower{p: newProgress(a.errOut), steps: len(apply.Steps(&ans.Plan)), own: true}
	ended, err := follow(ctx, link, started.Run, fl)
	if err != nil {
		return err
	}
	res := fl.result(ended)
	if err := a.print(res, func(w io.Writer) { printResult(w, res) }); err != nil {
		return err
	}
	return runOutcome(ended)
}

func printStatePlan(w io.Writer, action string, ans *api.ModuleStateAnswer) {
	mods := ans.Plan.Disable
	if action == api.ActionEnable {
		mods = ans.Plan.Enable
	}
	fmt.Fprintf(w, "Plan %s: %s\n", shortHash(ans.Plan.Hash), action)
	for _, d := range mods {
		fmt.Fprintf(w, "  %s %s (%s)\n", d.Module, d.Version, d.Reason)
	}
	if len(ans.Dependents) > 0 {
		fmt.Fprintf(w, "  with the modules that depend on them: %s\n", strings.Join(ans.Dependents, ", "))
	}
}

// confirmState asks before the change, unless yes.
func (a *app) confirmState(action string, yes bool) error {
	if yes {
		return nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return withCode(ExitUsage, fmt.Errorf("%s changes the ERP and there is no terminal to ask on: confirm with --yes", action))
	}
	fmt.Fprintf(a.out, "%s these modules now? The ERP stops until it is done. [y/N] ", strings.ToUpper(action[:1])+action[1:])
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	if ans := strings.ToLower(strings.TrimSpace(line)); ans != "y" && ans != "yes" {
		return fmt.Errorf("not %sd: the answer was not yes", action)
	}
	return nil
}
