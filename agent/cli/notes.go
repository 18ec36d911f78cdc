package cli

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/modname"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
)

// moduleNotes is what `upkeep notes` shows of one module.
type moduleNotes struct {
	Module    string              `json:"module"`
	Installed catalog.Version     `json:"installed"`
	From      catalog.Version     `json:"from"`
	To        catalog.Version     `json:"to"`
	Notes     []scan.VersionNotes `json:"notes"` // newest first
	Fixes     []catalog.Advisory  `json:"fixes"` // what moving From -> To closes
	Exposed   []scan.Exposure     `json:"exposed"`
}

func (a *app) notesCmd() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "notes MODULE [--from VERSION] [--to VERSION]",
		Short: "Show the release notes and security fixes of the versions newer than the installed one",
		Long: "Show the release notes of every version of MODULE from --from (exclusive; the installed version by default)\n" +
			"to --to (inclusive; the newest offered by default), newest first, with the security advisories they fix.\n" +
			"On a terminal the text goes through $PAGER (less by default).",
		Args: exactArgs(1, "MODULE"),
		RunE: a.agentCmd("scan", func(cmd *cobra.Command, args []string, _ *config.Config, link agentLink) error {
			fromV, toV, err := notesRange(from, to)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			r, err := link.cl.Scan(cmd.Context(), api.ScanRequest{})
			if err != nil {
				return err
			}
			mn, err := notesOf(r.Report, args[0], fromV, toV)
			if err != nil {
				return err
			}
			if a.json {
				return a.print(mn, nil)
			}
			return page(a.out, func(w io.Writer) { printNotes(w, mn) })
		}),
	}
	cmd.Flags().StringVar(&from, "from", "", "show the versions after this one (default: the installed version)")
	cmd.Flags().StringVar(&to, "to", "", "show the versions up to this one (default: the newest offered)")
	return cmd
}

// notesRange reads --from and --to; absent ones are zero.
func notesRange(from, to string) (f, t catalog.Version, err error) {
	if from != "" {
		if f, err = catalog.ParseVersion(from); err != nil {
			return f, t, fmt.Errorf("--from: %w", err)
		}
	}
	if to != "" {
		if t, err = catalog.ParseVersion(to); err != nil {
			return f, t, fmt.Errorf("--to: %w", err)
		}
	}
	if !f.IsZero() && !t.IsZero() && f.Compare(t) >= 0 {
		return f, t, fmt.Errorf("--from %s is not below --to %s; give a lower --from", f, t)
	}
	return f, t, nil
}

// notesOf gathers module's notes in (from, to] from every newer version the
// report offers; the module must be installed.
func notesOf(r *scan.Report, module string, from, to catalog.Version) (*moduleNotes, error) {
	known := modname.Known{Offered: []string{}}
	var installed *scan.InstalledModule
	for i, im := range r.Installed {
		known.Installed = append(known.Installed, im.Module)
		if im.Module == module {
			installed = &r.Installed[i]
		}
	}
	if err := known.Check(modname.Installed, module); err != nil {
		return nil, withCode(ExitUsage, err)
	}
	if !from.IsZero() && from.Less(installed.Version) {
		return nil, withCode(ExitUsage, fmt.Errorf("--from %s is below the installed version %s: the notes shown are those of the versions after it; give --from %s or later",
			from, installed.Version, installed.Version))
	}
	mn := &moduleNotes{Module: module, Installed: installed.Version, From: installed.Version, Notes: []scan.VersionNotes{}, Fixes: []catalog.Advisory{}, Exposed: []scan.Exposure{}}
	if !from.IsZero() {
		mn.From = from
	}
	seen := map[catalog.Version]bool{}
	for _, cs := range [][]scan.Candidate{r.Patches, r.Updates, r.Upgrades, r.UpgradeNotices, r.NotApplicable} {
		for _, c := range cs {
			if c.Module != module || (!to.IsZero() && c.To.Compare(to) > 0) {
				continue
			}
			if c.To.Compare(mn.To) > 0 {
				mn.To, mn.Fixes = c.To, c.Fixes
			}
			for _, n := range c.Notes {
				if !seen[n.Version] && n.Version.Compare(mn.From) > 0 {
					seen[n.Version] = true
					mn.Notes = append(mn.Notes, n)
				}
			}
		}
	}
	slices.SortFunc(mn.Notes, func(a, b scan.VersionNotes) int { return b.Version.Compare(a.Version) })
	mn.Fixes = fixesFrom(mn.Fixes, mn.From, mn.To)
	for _, e := range r.Exposed {
		if e.Module == module {
			mn.Exposed = append(mn.Exposed, e)
		}
	}
	return mn, nil
}

// fixesFrom keeps the advisories that moving from -> to closes.
func fixesFrom(advs []catalog.Advisory, from, to catalog.Version) []catalog.Advisory {
	out := []catalog.Advisory{}
	for _, a := range advs {
		if a.Fixes(from, to) {
			out = append(out, a)
		}
	}
	return out
}

func printNotes(w io.Writer, mn *moduleNotes) {
	if mn.To.IsZero() {
		fmt.Fprintf(w, "%s %s is installed; no newer version is offered.\n", mn.Module, mn.Installed)
	} else {
		fmt.Fprintf(w, "%s %s -> %s (installed %s)\n", mn.Module, mn.From, mn.To, mn.Installed)
	}
	for _, a := range mn.Fixes {
		fmt.Fprintf(w, "SECURITY %s: %s %s (fixed by this change)%s\n", a.Severity, a.ID, a.Title, urlSuffix(a.URL))
	}
	for _, e := range mn.Exposed {
		fmt.Fprintf(w, "EXPOSED %s: %s %s (the proposed changes leave it open)%s\n", e.Advisory.Severity, e.Advisory.ID, e.Advisory.Title, urlSuffix(e.Advisory.URL))
	}
	if len(mn.Notes) == 0 && !mn.To.IsZero() {
		fmt.Fprintln(w, "\nThese versions carry no release notes.")
	}
	for _, n := range mn.Notes {
		fmt.Fprintf(w, "\n== %s %s ==\n\n%s\n", mn.Module, n.Version, strings.TrimRight(strings.ReplaceAll(n.Notes, "\r", ""), "\n"))
	}
}

func urlSuffix(u string) string {
	if u == "" {
		return ""
	}
	return " " + u
}

// page writes text through $PAGER (less by default) when out is a
// terminal, and straight to out otherwise or when the pager cannot start.
func page(out io.Writer, text func(io.Writer)) error {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		text(out)
		return nil
	}
	pager := strings.Fields(os.Getenv("PAGER"))
	if len(pager) == 0 {
		pager = []string{"less", "-FRX"}
	}
	cmd := exec.Command(pager[0], pager[1:]...)
	cmd.Stdout, cmd.Stderr = f, os.Stderr
	in, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		text(out)
		return nil
	}
	text(in)
	in.Close()
	return cmd.Wait()
}
