// Package cli is the demo-erp command line: init, update and serve.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

// Exit codes.
const (
	ExitOK    = cliutil.ExitOK
	ExitError = cliutil.ExitError // the operation failed; stderr says why and names the module
	ExitUsage = cliutil.ExitUsage // bad command line
)

// app holds the global flags and output streams.
type app struct {
	dir         string
	out, errOut io.Writer
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	a := &app{out: stdout, errOut: stderr}
	return cliutil.Run(a.rootCmd(), args, stdout, stderr)
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "demo-erp",
		Short: "A tiny OpenERP-style ERP for Upkeep's demos and tests",
		Long:  "demo-erp runs an ERP instance kept in one folder: DIR/addons/<module>/ holds each module's code, DIR/erp.sqlite its database.",
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentFlags().StringVar(&a.dir, "dir", "", "the instance folder (holds addons/ and erp.sqlite)")
	root.MarkPersistentFlagRequired("dir") //nolint:errcheck // the flag exists
	root.AddCommand(a.initCmd(), a.updateCmd(), a.serveCmd())
	return root
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cliutil.Usage(fmt.Errorf("%s takes no arguments, got %q", cmd.Name(), args))
	}
	return nil
}

func (a *app) initCmd() *cobra.Command {
	var demo int
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the database and install every module found in DIR/addons, in dependency order",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return demoerp.Init(cmd.Context(), a.dir, demoerp.InitOptions{DemoData: demo, Log: a.out})
		},
	}
	cmd.Flags().IntVar(&demo, "demo-data", demoerp.DefaultDemoData, "demo partners to create")
	return cmd
}

func (a *app) updateCmd() *cobra.Command {
	var o demoerp.UpdateOptions
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Run the ERP's update: disable, then update, then install modules (each module in its own transaction)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(o.Update)+len(o.Install)+len(o.Disable) == 0 {
				return cliutil.Usage(errors.New("update needs --update, --install or --disable"))
			}
			o.Log = a.out
			return demoerp.Update(cmd.Context(), a.dir, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.Update, "update", "u", nil, `"all", or modules to update (with every installed module that depends on them)`)
	f.StringSliceVarP(&o.Install, "install", "i", nil, "modules to install from their folders in DIR/addons")
	f.StringSliceVar(&o.Disable, "disable", nil, "modules to disable (their data is kept); refused while an installed module depends on them")
	return cmd
}

func (a *app) serveCmd() *cobra.Command {
	o := demoerp.ServeOptions{Out: a.out}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve GET /health (the deep check: every module migrated to its code's version) and GET /modules",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			o.Dir = a.dir
			return demoerp.Serve(ctx, o)
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:8069", "listen address (port 0 picks a free one, printed on stdout)")
	cmd.Flags().StringVar(&o.PIDFile, "pidfile", "", "write the server's process id here; removed on shutdown")
	return cmd
}
