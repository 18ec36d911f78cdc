package odoo

import (
	"fmt"
	"os"

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
