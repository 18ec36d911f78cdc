//go:build unix

package platform

import (
	"errors"
	"os/exec"
	"syscall"
)

// OwnProcessGroup makes cmd the leader of a new process group, so that
// KillGroup reaches every process it starts, and (where the OS can) has it
// killed when the agent dies, so that a crashed agent's recovery never runs
// beside a half-finished update.
func OwnProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	dieWithParent(cmd.SysProcAttr)
}

// Detach makes cmd outlive the process that starts it: a new session with
// no controlling terminal, so that a signal to the agent does not reach it.
func Detach(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
}

// TerminateGroup asks the process group led by pid to stop (SIGTERM).
func TerminateGroup(pid int) error { return signalGroup(pid, syscall.SIGTERM) }

// KillGroup kills the process group led by pid (SIGKILL).
func KillGroup(pid int) error { return signalGroup(pid, syscall.SIGKILL) }

// Terminate asks the one process pid to stop (SIGTERM).
func Terminate(pid int) error { return signalOne(pid, syscall.SIGTERM) }

// Kill kills the one process pid (SIGKILL).
func Kill(pid int) error { return signalOne(pid, syscall.SIGKILL) }

func signalOne(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return errors.New("signal a process: no process id")
	}
	err := syscall.Kill(pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil // already gone
	}
	return err
}

func signalGroup(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return errors.New("signal a process group: no process id")
	}
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil // already gone
	}
	return err
}

// ProcessAlive reports whether a process with this id exists (a zombie
// counts as gone only once reaped by its parent).
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
