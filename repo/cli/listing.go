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
	var module string
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Show who published, extended or changed what, and when",
		Args:  exactArgs(0, "no arguments"),
		RunE: a.withBackend(func(cmd *cobra.Command, _ []string, b backend) error {
			entries, err := b.Log(cmd.Context(), module)
			if err != nil {
				return err
			}
			return a.print(entries, func(w io.Writer) {
				for _, e := range entries {
					fmt.Fprintf(w, "%s  %-16s %-15s %s %s  %s\n", e.At, e.Actor, e.Action, e.Module, e.Version, e.Detail)
				}
			})
		}),
	}
	cmd.Flags().StringVar(&module, "module", "", "only this module")
	return cmd
}
