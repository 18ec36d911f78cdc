//go:build windows

package platform

// PeakRSS is not measured on Windows; it returns 0.
func PeakRSS() int64 { return 0 }
