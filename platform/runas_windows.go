//go:build windows

package platform

import (
	"fmt"
	"os/exec"
)

// RunAs is not offered on Windows: a service account runs the ERP's
// commands there.
func RunAs(_ *exec.Cmd, name string) error {
	return fmt.Errorf("run as %q: running a command as another user is not supported on Windows; leave the user unset", name)
}
