package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
)

// palette colours section titles on a terminal; empty strings elsewhere.
type palette struct{ title, warn, reset string }

// colors picks colours when w is a terminal and NO_COLOR is not set.
func colors(w io.Writer) palette {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || !term.IsTerminal(int(f.Fd())) {
		return palette{}
	}
	return palette{title: "\033[1;34m", warn: "\033[33m", reset: "\033[0m"}
}

func (p palette) section(w io.Writer, title string, n int) bool {
	if n == 0 {
		return false
	}
	fmt.Fprintf(w, "\n%s%s (%d)%s\n", p.title, title, n, p.reset)
	return true
}

func printReport(w io.Writer, r *scan.Report, p palette) {
	fmt.Fprintf(w, "%s %s (the core); repositories %s; %s installed\n", r.Core.Module, r.Core.Version,
		strings.Join(r.Repositories, ", "), count(len(r.Installed), "module", "modules"))
	printCandidates(w, p, "Patches", r.Patches)
	printCandidates(w, p, "Updates", r.Updates)
	printCandidates(w, p, "Upgrades (new core series)", r.Upgrades)
	printCandidates(w, p, "Upgrades available on request (not upgraded by default)", r.UpgradeNotices)
	printBlocked(w, p, r.NotApplicable)
	printNew(w, p, r.NewModules)
	printDisabled(w, p, r.Disabled)
	printExposed(w, p, r.Exposed)
	if p.section(w, "Upgrade paths", len(r.Paths)) {
		for _, x := range r.Paths {
			fmt.Fprintf(w, "  %s\n", x.Text)
		}
	}
	if p.section(w, "Held", len(r.Held)) {
		for _, h := range r.Held {
			fmt.Fprintf(w, "  %s %s (%s)\n", h.Module, h.Version, h.Reason)
		}
	}
	if p.section(w, "Warnings", len(r.Warnings)) {
		for _, x := range r.Warnings {
			fmt.Fprintf(w, "  %s%s%s\n", p.warn, x, p.reset)
		}
	}
	if len(r.Patches)+len(r.Updates)+len(r.Upgrades)+len(r.UpgradeNotices)+len(r.NotApplicable)+len(r.NewModules)+offers(r.Disabled) == 0 {
		fmt.Fprintln(w, "\nUp to date.")
	}
}

func printCandidates(w io.Writer, p palette, title string, cs []scan.Candidate) {
	if !p.section(w, title, len(cs)) {
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  MODULE\tFROM\tTO\tKIND\tMATURITY\tSUMMARY")
	for _, c := range cs {
		summary := c.Summary
		if c.Notice != "" {
			summary += " — " + c.Notice
		}
		if c.Path != nil {
			summary += " — " + c.Path.Text
		}
		if c.FailedHere != nil {
			summary += " — " + p.warn + c.FailedHere.Text + p.reset
		}
		if m := securityMarker(c.Fixes); m != "" {
			summary = p.warn + m + p.reset + " " + summary
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", c.Module, c.From, c.To, c.Kind, c.Maturity, summary)
	}
	tw.Flush()
}

// securityMarker is "SECURITY high: ID, ID" for a change that fixes
// advisories, "" for one that fixes none.
func securityMarker(fixes []catalog.Advisory) string {
	sev, ok := scan.Highest(fixes)
	if !ok {
		return ""
	}
	ids := make([]string, len(fixes))
	for i, a := range fixes {
		ids[i] = a.ID
	}
	return fmt.Sprintf("SECURITY %s: %s", sev, strings.Join(ids, ", "))
}

// printExposed lists the known security holes the installed modules keep
// after the proposed target.
func printExposed(w io.Writer, p palette, es []scan.Exposure) {
	if !p.section(w, "Exposed: known security holes the proposed changes leave open", len(es)) {
		return
	}
	for _, e := range es {
		fix := "no published version fixes it yet"
		if !e.FixedIn.IsZero() {
			fix = fmt.Sprintf("fixed in %s, which the proposed changes do not reach (see above)", e.FixedIn)
		}
		fmt.Fprintf(w, "  %s%s %s: %s (%s) %s%s; %s\n", p.warn, e.Module, e.Version, e.Advisory.ID, e.Advisory.Severity, e.Advisory.Title, p.reset, fix)
	}
}

func printBlocked(w io.Writer, p palette, cs []scan.Candidate) {
	if !p.section(w, "Not applicable as things stand", len(cs)) {
		return
	}
	for _, c := range cs {
		fmt.Fprintf(w, "  %s %s -> %s (%s)\n", c.Module, c.From, c.To, c.Kind)
		if c.FailedHere != nil {
			fmt.Fprintf(w, "      %s\n", c.FailedHere.Text)
		}
		if c.Why == nil {
			continue
		}
		for _, reason := range c.Why.Reasons {
			fmt.Fprintf(w, "      %s\n", reason)
		}
	}
}

func printNew(w io.Writer, p palette, ns []scan.NewModule) {
	if !p.section(w, "New modules", len(ns)) {
		return
	}
	for _, n := range ns {
		if n.Version.IsZero() {
			fmt.Fprintf(w, "  %s: cannot be installed\n", n.Module)
		} else {
			fmt.Fprintf(w, "  %s %s (%s, %s) %s\n", n.Module, n.Version, n.Maturity, n.Repository, n.Summary)
		}
		for _, reason := range n.Reasons {
			fmt.Fprintf(w, "      %s\n", reason)
		}
	}
}

// printDisabled shows the modules Upkeep disabled and whether a version of
// each can be installed again now.
func printDisabled(w io.Writer, p palette, ds []scan.DisabledModule) {
	if !p.section(w, "Disabled by Upkeep (their data is kept)", len(ds)) {
		return
	}
	for _, d := range ds {
		if d.Offer.Version.IsZero() {
			fmt.Fprintf(w, "  %s %s: no version can be installed again as things stand\n", d.Module, d.Version)
		} else {
			fmt.Fprintf(w, "  %s %s: %s (%s, %s) can be installed again: upkeep apply --install %s\n",
				d.Module, d.Version, d.Offer.Version, d.Offer.Maturity, d.Offer.Repository, d.Module)
		}
		for _, reason := range d.Offer.Reasons {
			fmt.Fprintf(w, "      %s\n", reason)
		}
	}
}

// offers counts the disabled modules that can be installed again.
func offers(ds []scan.DisabledModule) int {
	n := 0
	for _, d := range ds {
		if !d.Offer.Version.IsZero() {
			n++
		}
	}
	return n
}

func printPlan(w io.Writer, pl *scan.Plan) {
	fmt.Fprintf(w, "Plan %s\n", pl.Hash)
	for _, d := range pl.Disable {
		fmt.Fprintf(w, "  disable %s %s: %s\n", d.Module, d.Version, d.Reason)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STAGE\tMODULE\tFROM\tTO\tKIND\tSCRIPTS")
	for _, c := range pl.Changes {
		var scripts []string
		for _, s := range append(append([]scanScript{}, toScripts("pre", c.Pre)...), toScripts("post", c.Post)...) {
			scripts = append(scripts, s.String())
		}
		from := c.From.String()
		if c.From.IsZero() {
			from = "(new)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", c.Stage, c.Module, from, c.To, c.Kind, strings.Join(scripts, ", "))
	}
	tw.Flush()
	printIncluded(w, pl.Changes)
	if pl.UpdateAll {
		fmt.Fprintln(w, "  then update every installed module (the ERP's update of all modules)")
	}
	if len(pl.Changes) == 0 && len(pl.Disable) == 0 {
		fmt.Fprintln(w, "  nothing to do")
	}
	for _, x := range pl.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", x)
	}
}

// printIncluded says which listed patches a change takes in passing:
// "core 2.50.21 is included in 2.50.22".
func printIncluded(w io.Writer, cs []scan.PlannedChange) {
	for _, c := range cs {
		if len(c.Includes) == 0 {
			continue
		}
		vs := make([]string, len(c.Includes))
		for i, v := range c.Includes {
			vs[i] = v.String()
		}
		verb := "is"
		if len(vs) > 1 {
			verb = "are"
		}
		fmt.Fprintf(w, "  %s %s %s included in %s\n", c.Module, strings.Join(vs, ", "), verb, c.To)
	}
}

// count says n things: "1 module", "2 modules".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

type scanScript struct{ phase, path string }

func (s scanScript) String() string { return s.phase + ":" + s.path }

func toScripts(phase string, in []catalog.Script) []scanScript {
	out := make([]scanScript, len(in))
	for i, s := range in {
		out[i] = scanScript{phase, s.Path}
	}
	return out
}
