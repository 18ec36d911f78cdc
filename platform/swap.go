package platform

import (
	"fmt"
	"os"
)

// exchangeByRenames swaps a and b through a third name next to a. A crash
// between the renames leaves b's old entry at b+".upkeep-swap".
func exchangeByRenames(a, b string) error {
	tmp := b + ".upkeep-swap"
	if err := os.Rename(b, tmp); err != nil {
		return fmt.Errorf("exchange %s and %s: %w", a, b, err)
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(tmp, b)
		return fmt.Errorf("exchange %s and %s: %w", a, b, err)
	}
	if err := os.Rename(tmp, a); err != nil {
		return fmt.Errorf("exchange %s and %s: %w", a, b, err)
	}
	return nil
}
