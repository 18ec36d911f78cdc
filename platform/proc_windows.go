//go:build windows

package platform

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/windows"
)

// OwnProcessGroup makes cmd the root of a new process group.
func OwnProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP
}

// Detach makes cmd outlive the process that starts it.
func Detach(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS
}

// TerminateGroup stops the process tree rooted at pid (Windows has no SIGTERM).
func TerminateGroup(pid int) error { return KillGroup(pid) }

// KillGroup kills the process tree rooted at pid.
func KillGroup(pid int) error {
	if pid <= 0 {
		return errors.New("kill a process tree: no process id")
	}
	return exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run()
}

// Terminate stops the one process pid (Windows has no SIGTERM).
func Terminate(pid int) error { return Kill(pid) }

// Kill kills the one process pid.
func Kill(pid int) error {
	if pid <= 0 {
		return errors.New("kill a process: no process id")
	}
	return exec.Command("taskkill", "/F", "/PID", strconv.Itoa(pid)).Run()
}

// ProcessAlive reports whether a process with this id exists.
func ProcessAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
