package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// DemoDir is where serve --demo keeps its repository unless --dir is given.
const DemoDir = ".upkeep-demo/repo"

// prepareDemo creates the demo repository with the sample catalog the first
// time, and reuses it afterwards.
func (a *app) prepareDemo(cmd *cobra.Command) error {
	if !cmd.Flags().Changed("dir") && os.Getenv("UPKEEP_REPO_DIR") == "" {
		a.dir = DemoDir
	}
	if _, err := os.Stat(filepath.Join(a.dir, "repo.db")); err == nil {
		fmt.Fprintf(a.out, "Using the demo repository in %s\n", a.dir)
		return nil
	}
	res, err := repo.Init(a.dir, repo.InitOptions{})
	if err != nil {
		return err
	}
	s, err := a.open()
	if err != nil {
		return err
	}
	defer s.Close()
	for _, m := range sample.Catalog() {
		data, err := m.Archive()
		if err != nil {
			return err
		}
		pub, err := s.Publish(cmd.Context(), data, repo.LocalActor("demo"))
		if err != nil {
			return fmt.Errorf("publish demo %s %s: %w", m.Name, m.Version, err)
		}
		printPublished(a.out, pub)
	}
	if err := os.WriteFile(filepath.Join(a.dir, "admin-token"), []byte(res.AdminToken+"\n"), 0o600); err != nil {
		return fmt.Errorf("save demo admin token: %w", err)
	}
	fmt.Fprintf(a.out, "\nDemo repository created in %s (admin token in %s/admin-token)\n", a.dir, a.dir)
	fmt.Fprintf(a.out, "Trusted root for agents: %s\n", res.RootPath)
	return nil
}
