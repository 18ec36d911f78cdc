package cli

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
	"github.com/upkeep-erp/upkeep/repo"
)

func (a *app) initCmd() *cobra.Command {
	var bits int
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Create a repository: keys, store, root metadata and the first admin token",
		Args:  exactArgs(1, "DIR"),
		RunE: func(_ *cobra.Command, args []string) error {
			res, err := repo.Init(args[0], repo.InitOptions{BinBits: bits})
			if err != nil {
				return err
			}
			return a.print(res, func(w io.Writer) { printInit(w, args[0], res) })
		},
	}
	cmd.Flags().IntVar(&bits, "bin-bits", 8, "split each repository's listing into 2^N signed bins")
	return cmd
}

func printInit(w io.Writer, dir string, res *repo.InitResult) {
	fmt.Fprintf(w, "Repository created in %s\n\n", dir)
	fmt.Fprintf(w, "Admin token (shown once, only its hash is kept):\n  %s\n\n", res.AdminToken)
	fmt.Fprintf(w, "Trusted root for agents: %s\n  sha256 %s\n", res.RootPath, res.RootSHA256)
	fmt.Fprintf(w, "Offline root key: %s\n  Move it to offline storage; only root rotation needs it.\n", res.RootKeyPath)
}

func (a *app) publishCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "publish ARCHIVE...",
		Short: "Validate and publish module archives (zip with upkeep.toml at the root), or Odoo addons as they are (folder or zip)",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cliutil.Usage(fmt.Errorf("expected at least one ARCHIVE"))
			}
			return nil
		},
		RunE: a.withBackend(func(cmd *cobra.Command, args []string, b backend) error {
			all := []*repo.Published{}
			err := publishAll(cmd, b, args, func(p *repo.Published) {
				all = append(all, p)
				if !a.json {
					printPublished(a.out, p) // at once: a later failure must not hide it
				}
			})
			if a.json {
				a.print(all, nil)
			}
			return err
		}),
	}
	cmd.Flags().StringVar(&a.into, "repository", "", "publish into this private repository only (see 'upkeep-repo repository add')")
	return cmd
}

// publishAll publishes a batch of archives in the order of their
// dependencies (repo.PublishOrder), stopping at the first failure. Every
// archive is read and checked first: an unreadable or invalid one, or a
// version given twice, publishes nothing.
func publishAll(cmd *cobra.Command, b backend, paths []string, done func(*repo.Published)) error {
	batch, err := readBatch(paths)
	if err != nil {
		return err
	}
	ms := make([]*catalog.Manifest, len(batch))
	for i, a := range batch {
		ms[i] = a.m
	}
	for _, i := range repo.PublishOrder(ms) {
		pub, err := b.Publish(cmd.Context(), batch[i].data)
		if err != nil {
			return fmt.Errorf("%s: %w", batch[i].path, err)
		}
		done(pub)
	}
	return nil
}

// batchArchive is one archive of a publish batch.
type batchArchive struct {
	path string
	data []byte
	m    *catalog.Manifest
}

// readBatch reads and checks every archive of a batch.
func readBatch(paths []string) ([]batchArchive, error) {
	var out []batchArchive
	first := map[string]string{} // "module version" → the path that gave it
	for _, path := range paths {
		data, err := readArchiveOrFolder(path)
		if err != nil {
			return nil, fmt.Errorf("read the archive: %w; nothing was published", err)
		}
		data, _, err = catalog.OdooAddonArchive(data, catalog.DefaultArchiveLimits())
		if err != nil {
			return nil, fmt.Errorf("%s: Odoo addon rejected: %w; nothing was published", path, err)
		}
		arc, err := catalog.ReadArchive(bytes.NewReader(data), int64(len(data)), catalog.DefaultArchiveLimits())
		if err != nil {
			return nil, fmt.Errorf("%s: archive rejected: %w; nothing was published", path, err)
		}
		m := arc.Manifest
		key := m.Name + " " + m.Version.String()
		if prev, ok := first[key]; ok {
			return nil, cliutil.Usage(fmt.Errorf("%s is given twice (%s and %s): give each version once; nothing was published", key, prev, path))
		}
		first[key] = path
		out = append(out, batchArchive{path: path, data: data, m: m})
	}
	return out, nil
}

func printPublished(w io.Writer, p *repo.Published) {
	fmt.Fprintf(w, "published %s %s into %s (sha256 %s)\n", p.Module, p.Version, strings.Join(p.Repositories, ", "), p.SHA256[:12])
	for _, x := range p.Widened {
		fmt.Fprintf(w, "  %s\n", x)
	}
}

func (a *app) extendCmd() *cobra.Command {
	var deps []string
	cmd := &cobra.Command{
		Use:   "extend MODULE VERSION --depends 'core>=2.50.21,<3.1' [--depends ...]",
		Short: "Widen a published version's dependencies and publish the result as a new version (admin)",
		Long: "Widen a published version's dependencies. Every dependency must accept at least what it accepted before;\n" +
			"the result is published as VERSION plus one component (1.4.2 -> 1.4.2.1), and the change is logged.\n" +
			"Give every dependency of the new version: a dependency left out is dropped.",
		Args: exactArgs(2, "MODULE VERSION"),
		RunE: a.withBackend(func(cmd *cobra.Command, args []string, b backend) error {
			parsed, err := repo.ParseDepends(deps)
			if err != nil {
				return cliutil.Usage(err)
			}
			ext, err := b.Extend(cmd.Context(), args[0], args[1], parsed)
			if err != nil {
				return err
			}
			return a.print(ext, func(w io.Writer) { printExtended(w, ext) })
		}),
	}
	cmd.Flags().StringArrayVar(&deps, "depends", nil, "a dependency of the new version, e.g. 'core>=2.50.21,<3.1' (repeat)")
	return cmd
}

func printExtended(w io.Writer, e *repo.Extended) {
	fmt.Fprintf(w, "extended %s %s -> %s %s\n", e.Module, e.From, e.Module, e.Version)
	fmt.Fprintf(w, "  depends was: %s\n  depends now: %s\n", strings.Join(e.OldDepends, ", "), strings.Join(e.NewDepends, ", "))
	fmt.Fprintf(w, "  repositories: %s\n", strings.Join(e.Repositories, ", "))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  DEPENDENCY\tLATEST\tMATURITY")
	for _, d := range e.Dependencies {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Dependency, d.Latest, d.Maturity)
	}
	tw.Flush()
}

func (a *app) maturityCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "maturity MODULE VERSION LEVEL",
		Short: "Set a version's maturity: test, alpha, beta, qa-approved or confirmed-stable",
		Args:  exactArgs(3, "MODULE VERSION LEVEL"),
		RunE: a.withBackend(func(cmd *cobra.Command, args []string, b backend) error {
			level, err := catalog.ParseMaturity(args[2])
			if err != nil {
				return cliutil.Usage(err)
			}
			if err := b.SetMaturity(cmd.Context(), args[0], args[1], level); err != nil {
				return err
			}
			res := map[string]string{"module": args[0], "version": args[1], "maturity": level.String()}
			return a.print(res, func(w io.Writer) { fmt.Fprintf(w, "%s %s is now %s\n", args[0], args[1], level) })
		}),
	}
}

func (a *app) defaultUpgradeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "default-upgrade MODULE true|false",
		Short: "Set whether scans propose a module's upgrades by default (admin)",
		Args:  exactArgs(2, "MODULE true|false"),
		RunE: a.withBackend(func(cmd *cobra.Command, args []string, b backend) error {
			on, err := strconv.ParseBool(args[1])
			if err != nil {
				return cliutil.Usage(fmt.Errorf("%q: say true or false", args[1]))
			}
			if err := b.SetDefaultUpgrade(cmd.Context(), args[0], on); err != nil {
				return err
			}
			res := map[string]any{"module": args[0], "default_upgrade": on}
			return a.print(res, func(w io.Writer) { fmt.Fprintf(w, "%s: default_upgrade = %v\n", args[0], on) })
		}),
	}
}
