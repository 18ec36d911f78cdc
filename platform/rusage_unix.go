//go:build unix

package platform

import "syscall"

// PeakRSS returns the process's peak resident memory in bytes (0 if unknown).
func PeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return peakBytes(ru.Maxrss)
}
