//go:build darwin

package platform

import (
	"fmt"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// ProcessStartTime returns when the process pid started, to tell a server
// from a later program that reuses its process id.
func ProcessStartTime(pid int) (time.Time, error) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return time.Time{}, fmt.Errorf("process %d start time: sysctl kern.proc.pid: %w", pid, err)
	}
	if int(kp.Proc.P_pid) != pid {
		return time.Time{}, fmt.Errorf("process %d start time: no such process", pid)
	}
	st := kp.Proc.P_starttime
	return time.Unix(int64(st.Sec), int64(st.Usec)*1000), nil
}

// ProcessToken returns a token that identifies process pid for as long as
// it runs and differs for a later process with the same id: its start time
// as the kernel recorded it.
func ProcessToken(pid int) (string, error) {
	t, err := ProcessStartTime(pid)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(t.UnixMicro(), 10), nil
}
