//go:build windows

package platform

import (
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sys/windows"
)

// ProcessStartTime returns when the process pid started, to tell a server
// from a later program that reuses its process id.
func ProcessStartTime(pid int) (time.Time, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return time.Time{}, fmt.Errorf("process %d start time: OpenProcess: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return time.Time{}, fmt.Errorf("process %d start time: GetProcessTimes: %w", pid, err)
	}
	return time.Unix(0, created.Nanoseconds()), nil
}

// ProcessToken returns a token that identifies process pid for as long as
// it runs and differs for a later process with the same id: its creation
// time as the kernel recorded it.
func ProcessToken(pid int) (string, error) {
	t, err := ProcessStartTime(pid)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(t.UnixNano(), 10), nil
}
