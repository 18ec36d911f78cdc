//go:build !linux

package platform

import (
	"errors"
	"os"
)

// Exchange swaps the directory entries a and b (on one filesystem) with
// three renames; when b does not exist, a is renamed to b.
func Exchange(a, b string) error {
	if _, err := os.Lstat(b); errors.Is(err, os.ErrNotExist) {
		return os.Rename(a, b)
	}
	return exchangeByRenames(a, b)
}
