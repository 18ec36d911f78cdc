package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// Exit codes: defined here once, and shown in docs/CLI.md from exitCodes
// (a test keeps the two the same).
const (
	ExitOK              = cliutil.ExitOK
	ExitError           = cliutil.ExitError
	ExitUsage           = cliutil.ExitUsage
	ExitRepository      = 3
	ExitERP             = 4
	ExitUntrusted       = 5
	ExitPlanChanged     = 6
	ExitLocked          = 7
	ExitRestoreFailed   = 8
	ExitRehearsalFailed = 9
	ExitNotRehearsed    = 10
)

// exitCodes says what each exit code means, as docs/CLI.md's table does.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{ExitOK, "success"},
	{ExitError, "the operation failed; the message says why and what to do"},
	{ExitUsage, "bad command line or configuration (the message names the flag or key)"},
	{ExitRepository, "the central repository cannot be reached, or a download from it was too slow (the message names the URL and what was too slow: no connection, under the speed floor, past the deadline; `[repository.deadlines]`)"},
	{ExitERP, "the ERP's database or module folders cannot be read"},
	{ExitUntrusted, "the repository's metadata failed verification (bad signature, unknown key, rollback, expired, over its size cap)"},
	{ExitPlanChanged, "the plan no longer matches the scan: scan and plan again"},
	{ExitLocked, "another apply is running (it holds `state.dir/apply.lock`; through the agent: the agent runs another apply or rehearsal, and the message names its run)"},
	{ExitRestoreFailed, "an apply failed and so did its restore: the instance needs attention; the message says why, where the backup is, and to run `upkeep apply --recover-only` once the cause is fixed"},
	{ExitRehearsalFailed, "the rehearsal ran and failed (the report names the failed step); production was not touched"},
	{ExitNotRehearsed, "`schedule.policy.require_rehearsal` is set and the plan's hash has no passed rehearsal: run `upkeep rehearse` with the same plan first (the agent enforces it for every caller of its API, the tray included)"},
}

// exitCodeHelp lists the exit codes for --help.
func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "  %2d  %s\n", c.code, strings.ReplaceAll(c.meaning, "`", ""))
	}
	return b.String()
}

// withCode attaches an exit code to err (nil stays nil).
func withCode(code int, err error) error { return cliutil.WithCode(code, err) }

// agentCode gives an error of the agent (the running one, or the one in
// this process) its exit code: a failed scan the code of its cause (2,
// 3, 4, 5); a plan that changed since it was shown 6; another run going
// 7 (naming it); a failed restore 8; a plan without a required
// rehearsal 10; a module name that is not known 2; the rest 1. An error that has its code keeps it.
func agentCode(err error) error {
	var (
		ce cliutil.CodeError
		cf *api.ConflictError
		ad *api.AccessDeniedError
		na *api.NotAvailableError
		nr *api.NotRehearsedError
		se *api.ScanError
		ue *api.UnreachableError
		br *api.BadRequestError
	)
	switch {
	case err == nil, errors.As(err, &ce):
		return err
	case errors.As(err, &se):
		return withCode(scanExit(se.Code), err)
	case errors.As(err, &br) && br.Code == api.CodeUnknownModule:
		return withCode(ExitUsage, err)
	case errors.As(err, &cf) && cf.Code == api.CodePlanChanged, errors.Is(err, apply.ErrPlanChanged):
		return withCode(ExitPlanChanged, err)
	case errors.As(err, &cf) && cf.RunID != "":
		return withCode(ExitLocked, fmt.Errorf("%w (run %s: upkeep history %s follows it)", err, cf.RunID, cf.RunID))
	case errors.As(err, &cf), errors.Is(err, apply.ErrLocked):
		return withCode(ExitLocked, err)
	case errors.Is(err, apply.ErrRestoreFailed):
		return withCode(ExitRestoreFailed, err)
	case errors.Is(err, apply.ErrRehearsalFailed):
		return withCode(ExitRehearsalFailed, err)
	case errors.As(err, &nr):
		return withCode(ExitNotRehearsed, err)
	case errors.As(err, &ad):
		return withCode(ExitError, fmt.Errorf("the agent refused: %w", err))
	case errors.As(err, &na):
		return withCode(ExitError, fmt.Errorf("%w\n(upkeep --no-agent runs the command in this process, without the agent)", err))
	case errors.As(err, &ue):
		return withCode(ExitError, fmt.Errorf("the agent went away: %w", err))
	}
	return withCode(ExitError, err)
}

// scanExit is the exit code of a failed scan's cause; a cause this
// command line does not know is 1.
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
