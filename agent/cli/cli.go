// Package cli is the upkeep command line: scan, plan, overrides, holds and configuration checks on the local agent's state.
package cli

import (
	"encoding/json"
	"io"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// Exit codes, documented in docs/CLI.md.
const (
	ExitOK          = cliutil.ExitOK
	ExitError       = cliutil.ExitError // the operation failed; the message says why and what to do
	ExitUsage       = cliutil.ExitUsage // bad command line or configuration
	ExitRepository  = 3                 // the central repository cannot be reached
	ExitERP         = 4                 // the ERP's database or module folders cannot be read
	ExitUntrusted   = 5                 // the repository's metadata failed verification (signature, rollback, expiry)
	ExitPlanChanged = 6                 // the plan no longer matches the scan (re-run scan and plan)
)

// withCode attaches an exit code to err (nil stays nil).
func withCode(code int, err error) error { return cliutil.WithCode(code, err) }

// app holds the global flags and streams.
type app struct {
	configPath  string
	json        bool
	noAgent     bool // --no-agent: work standalone even when an agent answers
	out, errOut io.Writer
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	a := &app{out: stdout, errOut: stderr}
	return cliutil.Run(a.rootCmd(), args, stdout, stderr)
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:     "upkeep",
		Short:   "Keep an ERP's modules patched, updated and upgraded, safely",
		Version: version(), // --version: the module version and commit Go stamped in at build time
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", envOr("UPKEEP_CONFIG", config.DefaultPath), "configuration file (env UPKEEP_CONFIG)")
	pf.BoolVar(&a.json, "json", false, "print JSON")
	pf.BoolVar(&a.noAgent, "no-agent", false, "work in this process on the state database even when the agent runs (for an agent that is broken)")
	root.AddCommand(a.configCmd(), a.overrideCmd(), a.holdCmd(), a.unholdCmd(), a.relaxCmd(), a.installedCmd())
	for _, c := range extraCommands {
		root.AddCommand(c(a))
	}
	return root
}

// extraCommands lets other files of this package add commands.
var extraCommands []func(*app) *cobra.Command

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// load reads the configuration; a bad one is a usage error.
func (a *app) load() (*config.Config, error) {
	c, err := config.Load(a.configPath)
	return c, withCode(ExitUsage, err)
}

// withState adapts a command body that needs the configuration and the
// agent's state database.
func (a *app) withState(run func(*cobra.Command, []string, *config.Config, *store.Store) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := a.load()
		if err != nil {
			return err
		}
		return onStore(cmd, args, c, run)
	}
}

// onStore runs a command body on the agent's state database.
func onStore(cmd *cobra.Command, args []string, c *config.Config, run func(*cobra.Command, []string, *config.Config, *store.Store) error) error {
	st, err := store.Open(c.State.Dir, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return run(cmd, args, c, st)
}

// print writes v as JSON with --json, else calls text.
func (a *app) print(v any, text func(io.Writer)) error {
	if a.json {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(a.out)
	return nil
}

var exactArgs = cliutil.ExactArgs

// who names the person behind a run this command starts, as the agent
// records runs the CLI asks it for: "cli: alice".
func who() string { return "cli: " + userName() }

// userName is the user running this command, as holds and overrides record it.
func userName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}
