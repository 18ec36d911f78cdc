package platform

// SyncDir does nothing on Windows and returns nil: NTFS journals directory
// entries itself, and Windows cannot open a directory as a file to flush it
// (FlushFileBuffers on a directory handle fails), so a rename made with
// MoveFileEx is as durable as this platform allows without it.
func SyncDir(dir string) error {
	return nil
}
