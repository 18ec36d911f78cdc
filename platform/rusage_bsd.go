//go:build unix && !linux

package platform

// peakBytes converts ru_maxrss, which macOS and the BSDs report in bytes.
func peakBytes(maxrss int64) int64 { return maxrss }
