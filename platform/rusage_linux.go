//go:build linux

package platform

// peakBytes converts ru_maxrss, which Linux reports in KiB.
func peakBytes(maxrss int64) int64 { return maxrss * 1024 }
