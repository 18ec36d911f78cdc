package odoo

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/platform"
)

// sameOwner gives dir the owner and group of ref when they differ (the
// agent runs as root, Odoo as its own user); a missing ref is left to the
// swap to report.
func sameOwner(dir, ref string) error {
	want, err := os.Stat(ref)
	if err != nil {
		return nil
	}
	have, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if platform.SameOwner(want, have) {
		return nil
	}
	if err := platform.ChownLike(dir, want); err != nil {
		return fmt.Errorf("give it the owner of %s: %w", ref, err)
	}
	return nil
}

// ownLikeParent gives every file of dir the owner and group of dir's
// parent (the addons folder), when they differ: a module folder the agent
// (root) unpacked is then Odoo's user's, as the folder it replaced was.
func ownLikeParent(dir string) error {
	parent, err := os.Stat(filepath.Dir(dir))
	if err != nil {
		return fmt.Errorf("odoo: %w", err)
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil || platform.SameOwner(info, parent) {
			return err
		}
		if err := platform.ChownLike(p, parent); err != nil {
			return fmt.Errorf("odoo: give %s the owner of the addons folder %s: %w", p, filepath.Dir(dir), err)
		}
		return nil
	})
}
