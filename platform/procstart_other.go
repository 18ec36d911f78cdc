//go:build unix && !linux && !darwin

package platform

import (
	"errors"
	"fmt"
	"time"
)

// ProcessStartTime is not implemented on this system: callers treat the
// error as "cannot tell".
func ProcessStartTime(pid int) (time.Time, error) {
	return time.Time{}, fmt.Errorf("process %d start time: %w", pid, errors.ErrUnsupported)
}

// ProcessToken is not implemented on this system.
func ProcessToken(pid int) (string, error) {
	return "", fmt.Errorf("process %d token: %w", pid, errors.ErrUnsupported)
}
