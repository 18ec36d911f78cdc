package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
)

func (a *app) advisoryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "advisory", Short: "Security advisories on published versions", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return cliutil.Usage(fmt.Errorf("advisory needs a subcommand: add"))
		}}
	cmd.AddCommand(a.advisoryAddCmd())
	return cmd
}

// advisoryFlags are the fields of an advisory as given on the command line.
type advisoryFlags struct {
	id, severity, title, url, affects string
}

func (f advisoryFlags) advisory() (catalog.Advisory, error) {
	adv := catalog.Advisory{ID: f.id, Title: f.title, URL: f.url}
	var err error
	if adv.Severity, err = catalog.ParseSeverity(f.severity); err != nil {
		return adv, fmt.Errorf("--severity: %w", err)
	}
	if f.affects == "" {
		return adv, fmt.Errorf(`--affects is missing; give the versions the hole affects, e.g. --affects "<1.4.0"`)
	}
	if adv.Affects, err = catalog.ParseConstraint(f.affects); err != nil {
		return adv, fmt.Errorf("--affects: %w", err)
	}
	return adv, adv.Validate()
}

func (a *app) advisoryAddCmd() *cobra.Command {
	var f advisoryFlags
	cmd := &cobra.Command{
		Use:   "add MODULE VERSION --id ID --severity LEVEL --title TEXT --affects CONSTRAINT [--url URL]",
		Short: "Add a security advisory to a published version (its publishers or an admin)",
		Long: "Add a security advisory to a published version, usually the one that fixes it, when the hole is\n" +
			"learnt after publishing. The listings that carry the version are re-signed and the change is logged.",
		Args: exactArgs(2, "MODULE VERSION"),
		RunE: a.withBackend(func(cmd *cobra.Command, args []string, b backend) error {
			adv, err := f.advisory()
			if err != nil {
				return cliutil.Usage(err)
			}
			if err := b.AddAdvisory(cmd.Context(), args[0], args[1], adv); err != nil {
				return err
			}
			res := map[string]any{"module": args[0], "version": args[1], "advisory": adv}
			return a.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "%s %s now carries advisory %s (%s, affects %s): %s\n", args[0], args[1], adv.ID, adv.Severity, adv.Affects, adv.Title)
			})
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.id, "id", "", "a CVE id or your own, e.g. UPK-2026-0042")
	fl.StringVar(&f.severity, "severity", "", "low, medium, high or critical")
	fl.StringVar(&f.title, "title", "", "what the hole is, in one line")
	fl.StringVar(&f.url, "url", "", "a web page about it (optional)")
	fl.StringVar(&f.affects, "affects", "", `the versions it affects, e.g. "<1.4.0" or ">=1.2.0,<1.2.4"`)
	return cmd
}
