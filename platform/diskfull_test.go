package platform

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestIsDiskFull(t *testing.T) {
	wrapped := fmt.Errorf("write x: %w", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC})
	if !IsDiskFull(wrapped) {
		t.Error("a wrapped ENOSPC is not reported as a full disk")
	}
	if IsDiskFull(fmt.Errorf("write x: %w", os.ErrPermission)) {
		t.Error("a permission error is reported as a full disk")
	}
}
