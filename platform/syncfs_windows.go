//go:build windows

package platform

// SyncFilesystem is a no-op on Windows: callers that need durability there
// write through WriteFileAtomic, which flushes each file.
func SyncFilesystem(path string) error { return nil }
