//go:build !windows

package platform

// ServiceLogIsSystemLog reports whether a service's log belongs in the
// operating system's own log (the Windows event log) rather than on stdout,
// which journald and launchd collect.
func ServiceLogIsSystemLog() bool { return false }
