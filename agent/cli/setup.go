package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/host"
)

// setupResult is what upkeep setup did and what the admin still has to do.
type setupResult struct {
	ERP     string   `json:"erp"`
	Overlay string   `json:"modules_overlay,omitempty"`
	Added   int      `json:"links_added"`
	Start   []string `json:"server_start,omitempty"` // the pidfile start command that runs trytond on the overlay
	Todo    []string `json:"todo,omitempty"`
	Checked string   `json:"checked,omitempty"`
}

func (a *app) setupCmd() *cobra.Command {
	var system string
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Prepare the ERP for apply (Tryton: build or complete the module overlay); safe to repeat",
		Long: "setup prepares what apply needs on this host. For Tryton it builds the module overlay erp.tryton.modules_overlay " +
			"(a trytond package of symlinks to the system one, whose modules/ folder the agent swaps module versions in), " +
			"or adds the links a Debian upgrade made missing; it never removes or replaces an entry. It then reads the installed " +
			"modules through the overlay and says how the server must be started. Run it once before the first apply and after " +
			"every upgrade of the tryton packages.",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.load()
			if err != nil {
				return err
			}
			if c.ERP.Kind != "tryton" {
				res := setupResult{ERP: c.ERP.Kind, Checked: "nothing to set up for this ERP"}
				return a.print(res, func(w io.Writer) { fmt.Fprintf(w, "erp.kind = %s: nothing to set up.\n", c.ERP.Kind) })
			}
			res, err := setupTryton(cmd, c, system)
			if res == nil {
				return err
			}
			if perr := a.print(res, func(w io.Writer) { printSetup(w, res) }); perr != nil {
				return perr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&system, "trytond", host.DefaultTrytond, "the system trytond package folder the overlay links to")
	return cmd
}

// setupTryton builds the overlay, reads the installed modules through it
// and checks that the configured server runs on it. With a result, the
// error says that the modules could not be read through the overlay.
func setupTryton(cmd *cobra.Command, c *config.Config, system string) (*setupResult, error) {
	t := c.ERP.Tryton
	if t.ModulesOverlay == "" {
		return nil, withCode(ExitUsage, fmt.Errorf("erp.tryton.modules_overlay is empty: set it to a folder of its own for the module overlay, e.g. /var/lib/upkeep/tryton-overlay, then run upkeep setup again"))
	}
	added, err := host.TrytonOverlay(c, system)
	if err != nil {
		return nil, fmt.Errorf("build the module overlay: %w", err)
	}
	res := &setupResult{ERP: "tryton", Overlay: t.ModulesOverlay, Added: len(added)}
	res.Todo = serverTodo(c, res)
	mods, err := readInstalled(cmd.Context(), c)
	if err != nil {
		res.Todo = append(res.Todo, "make the installed modules readable through the overlay (see the error below), then run upkeep setup again")
		return res, withCode(ExitERP, fmt.Errorf("the overlay is built, but %w", err))
	}
	res.Checked = fmt.Sprintf("%d installed modules read through the overlay", len(mods))
	return res, nil
}

// serverTodo says what the server's start needs so that trytond loads its
// modules from the overlay, when the configuration does not show it.
func serverTodo(c *config.Config, res *setupResult) []string {
	s, overlay := c.ERP.Server, c.ERP.Tryton.ModulesOverlay
	want := "PYTHONPATH=" + overlay
	switch {
	case s.SystemdUnit != "":
		return []string{fmt.Sprintf("make the unit %s start trytond with the overlay first on its module path: systemctl edit %s, add [Service] Environment=%s", s.SystemdUnit, s.SystemdUnit, want)}
	case s.PIDFile != "":
		res.Start = host.TrytonServerCommand(c, s.PIDFile)
		if !slices.ContainsFunc(s.Start, func(arg string) bool { return pythonPathFirst(arg, want) }) {
			line, _ := json.Marshal(res.Start) // a TOML array too
			return []string{fmt.Sprintf("erp.server.start has no %s argument: unless its program sets that itself, set start = %s", want, line)}
		}
		return nil
	}
	return []string{fmt.Sprintf("make the commands in erp.server start trytond with %s in its environment", want)}
}

func printSetup(w io.Writer, r *setupResult) {
	fmt.Fprintf(w, "Module overlay %s: ready (%d links added).\n", r.Overlay, r.Added)
	if r.Checked != "" {
		fmt.Fprintf(w, "Checked: %s.\n", r.Checked)
	}
	for _, t := range r.Todo {
		fmt.Fprintf(w, "To do: %s\n", t)
	}
	if len(r.Todo) == 0 {
		fmt.Fprintln(w, "Every trytond process must run with the overlay first on PYTHONPATH; the configured server does.")
	}
}

// pythonPathFirst reports whether arg is want ("PYTHONPATH=OVERLAY"),
// alone or with further entries after it.
func pythonPathFirst(arg, want string) bool {
	return arg == want || strings.HasPrefix(arg, want+string(filepath.ListSeparator))
}

// readInstalled reads the installed modules; failure means the ERP cannot be read.
func readInstalled(ctx context.Context, c *config.Config) ([]erp.Module, error) {
	h, err := host.Open(c)
	var r erp.Reader
	if err == nil {
		r, err = h.Reader()
	}
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	mods, err := r.Installed(ctx)
	if err != nil {
		return nil, withCode(ExitERP, fmt.Errorf("read the installed modules (%s): %w", r.Kind(), err))
	}
	return mods, nil
}
