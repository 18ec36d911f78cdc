//go:build linux

package platform

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's start time: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// ProcessStartTime returns when the process pid started, to tell a server
// from a later program that reuses its process id. On Linux it is exact to
// about 10 ms.
func ProcessStartTime(pid int) (time.Time, error) {
	ticks, err := startTicks(pid)
	if err != nil {
		return time.Time{}, err
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return time.Time{}, fmt.Errorf("process %d start time: %w", pid, err)
	}
	now := time.Now()
	upFields := strings.Fields(string(up))
	if len(upFields) == 0 {
		return time.Time{}, fmt.Errorf("process %d start time: /proc/uptime is empty", pid)
	}
	uptime, err := strconv.ParseFloat(upFields[0], 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("process %d start time: /proc/uptime: %w", pid, err)
	}
	age := time.Duration(uptime*float64(time.Second)) - time.Duration(ticks)*time.Second/clockTicks
	return now.Add(-age), nil
}

// ProcessToken returns a token that identifies process pid for as long as
// it runs and differs for a later process with the same id: on Linux its
// start time in clock ticks since boot, which no clock change moves.
func ProcessToken(pid int) (string, error) {
	ticks, err := startTicks(pid)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(ticks, 10), nil
}

// startTicks reads the start time of pid from /proc/PID/stat.
func startTicks(pid int) (int64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("process %d start time: %w", pid, err)
	}
	// pid (comm) state ppid …: comm may hold spaces and parentheses, so
	// split after the last ')'; starttime is the 22nd field.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("process %d start time: /proc/%d/stat is not in the expected format", pid, pid)
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("process %d start time: /proc/%d/stat is not in the expected format", pid, pid)
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("process %d start time: %w", pid, err)
	}
	return ticks, nil
}
