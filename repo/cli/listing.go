package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/repo"
)

func (a *app) listCmd() *cobra.Command {
	var repository string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List modules and versions with their maturity and repositories",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withBackend(func(cmd *cobra.Command, _ []string, b backend) error {
			mods, err := b.List(cmd.Context(), repository)
			if err != nil {
				return err
			}
			return a.print(mods, func(w io.Writer) { printList(w, mods) })
		}),
	}
	cmd.Flags().StringVar(&repository, "repository", "", "only versions in this repository (e.g. 2.50)")
	return cmd
}

func printList(w io.Writer, mods []repo.ModuleInfo) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tVERSION\tMATURITY\tREPOSITORIES\tDEPENDS")
	for _, m := range mods {
		name := m.Name
		if m.Core {
			name += " (core)"
		}
		if !m.DefaultUpgrade {
			name += " (no default upgrade)"
		}
		for _, v := range m.Versions {
			ver := v.Version
			if v.ExtendedFrom != "" {
				ver += " (extends " + v.ExtendedFrom + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, ver, v.Maturity, strings.Join(v.Repositories, ","), strings.Join(v.Depends, "; "))
		}
	}
	tw.Flush()
}

func (a *app) logCmd() *cobra.Command {
	var f repo.LogFilter
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show every write attempt: who asked for what, when, and whether it was done or refused and why",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withBackend(func(cmd *cobra.Command, _ []string, b backend) error {
			entries, err := b.Log(cmd.Context(), f)
			if err != nil {
				return err
			}
			return a.print(entries, func(w io.Writer) { printLog(w, entries) })
		}),
	}
	cmd.Flags().StringVar(&f.Module, "module", "", "only this module")
	cmd.Flags().BoolVar(&f.Refused, "refused", false, "only the refused and failed attempts")
	return cmd
}

func printLog(w io.Writer, entries []repo.LogEntry) {
	for _, e := range entries {
		what := strings.TrimSpace(e.Module + " " + e.Version)
		if e.Detail != "" {
			what = strings.TrimSpace(what + "  " + e.Detail)
		}
		fmt.Fprintf(w, "%s  %-7s %-16s %-15s %s\n", e.At, e.Result, e.Actor, e.Action, what)
		if e.Reason != "" {
			fmt.Fprintf(w, "    why: %s\n", e.Reason)
		}
	}
}
