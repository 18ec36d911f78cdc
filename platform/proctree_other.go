//go:build !linux

package platform

import (
	"errors"
	"fmt"
)

// Processes is not implemented here: callers fall back to the process
// group alone.
func Processes() ([]ProcInfo, error) {
	return nil, fmt.Errorf("list the processes: %w", errors.ErrUnsupported)
}

// ListeningSockets is not implemented here: callers do not wait for ports.
func ListeningSockets(pids []int) (map[uint64]int, error) {
	return nil, fmt.Errorf("list the listening sockets: %w", errors.ErrUnsupported)
}

// StillListening is not implemented here.
func StillListening(sockets map[uint64]int) (map[uint64]int, error) {
	return nil, fmt.Errorf("list the listening sockets: %w", errors.ErrUnsupported)
}

// SocketHolders is not implemented here.
func SocketHolders(sockets map[uint64]int) []int { return nil }

// ProcessRunning reports whether process pid runs.
func ProcessRunning(pid int) bool { return ProcessAlive(pid) }
