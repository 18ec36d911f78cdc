// Package cli is the upkeep command line: scan, plan, overrides, holds and configuration checks on the local agent's state.
package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// app holds the global flags and streams.
type app struct {
	Program
	configPath  string
	json        bool
	noAgent     bool // --no-agent: run the agent in this process even when the service answers
	out, errOut io.Writer
}

// Program is the command line with what cmd/upkeep plugs into it.
type Program struct {
	// Demo runs `upkeep demo` (quickstart.Run): the demo runs a central
	// repository, which agent/ may not import. Nil: the command says
	// this build has no demo.
	Demo func(ctx context.Context, o DemoOptions) error
}

// Main runs the command line, without a demo, and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int { return Program{}.Main(args, stdout, stderr) }

// Main runs the command line and returns the exit code.
func (p Program) Main(args []string, stdout, stderr io.Writer) int {
	a := &app{Program: p, out: stdout, errOut: stderr}
	return cliutil.Run(a.rootCmd(), args, stdout, stderr)
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:     "upkeep",
		Short:   "Keep an ERP's modules patched, updated and upgraded, safely",
		Version: version(), // --version: the module version and commit Go stamped in at build time
		Long:    "Keep an ERP's modules patched, updated and upgraded, safely.\n\n" + exitCodeHelp(),
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", envOr("UPKEEP_CONFIG", config.DefaultPath), "configuration file (env UPKEEP_CONFIG)")
	pf.BoolVar(&a.json, "json", false, "print JSON")
	pf.BoolVar(&a.noAgent, "no-agent", false, "work in this process on the state database even when the agent runs (for an agent that is broken)")
	root.AddCommand(
		a.configCmd(), a.setupCmd(), a.installedCmd(), a.scanCmd(), a.notesCmd(), a.planCmd(),
		a.moduleStateCmd("disable"), a.moduleStateCmd("enable"),
		a.overrideCmd(), a.holdCmd(), a.unholdCmd(), a.relaxCmd(),
		a.applyCmd(), a.rehearseCmd(), a.cancelCmd(), a.historyCmd(), a.statusCmd(), a.checkNowCmd(),
		a.runCmd(), a.reloadCmd(), a.serviceCmd(), a.demoCmd(),
	)
	return root
}

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
