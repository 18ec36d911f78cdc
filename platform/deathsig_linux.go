package platform

import "syscall"

// dieWithParent has the kernel SIGKILL the child when the agent dies.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
