//go:build !linux && !darwin

package platform

import (
	"fmt"
	"os"
)

// CloneFile always returns ErrCloneUnsupported here: the caller copies.
func CloneFile(src, dst string, _ os.FileMode) error {
	return fmt.Errorf("%w: clone %s to %s", ErrCloneUnsupported, src, dst)
}
