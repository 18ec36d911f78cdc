package cli

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// DefaultDemoDir is the work folder of `upkeep demo` unless --dir is given,
// relative to the current folder.
const DefaultDemoDir = "upkeep-demo"

// DemoOptions are the flags of `upkeep demo`.
type DemoOptions struct {
	Dir     string // the work folder: repository, demo ERP instance, agent configuration and state
	Reset   bool   // remove the folder's contents first and start over
	NoApply bool   // scan and report only
	Serve   bool   // keep the repository and the agent running until Ctrl-C
	Out     io.Writer
}

func (a *app) demoCmd() *cobra.Command {
	o := DemoOptions{Dir: DefaultDemoDir}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The main job in one command: a demo central repository and demo ERP in a work folder, scanned, patched and updated by the agent",
		Long: "demo creates (or reuses) a central repository with the demo catalog and a demo ERP instance (core 2.50.20, arp 1.3.0, " +
			"localization-es, reports) in --dir, starts the repository, the ERP's server and the agent, scans, applies the patches and " +
			"updates, and shows the result and the history. Ctrl-C stops everything it started; the folder stays.",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.Demo == nil {
				return errors.New("this build of upkeep has no demo: run it from cmd/upkeep (go run ./cmd/upkeep demo)")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			o.Out = a.out
			return a.Demo(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", o.Dir, "the work folder (created if missing, reused if there)")
	f.BoolVar(&o.Reset, "reset", false, "remove the work folder's contents first and start over")
	f.BoolVar(&o.NoApply, "no-apply", false, "scan and report, apply nothing")
	f.BoolVar(&o.Serve, "serve", false, "keep the repository and the agent running until Ctrl-C (for the tray and the commands it prints)")
	return cmd
}
