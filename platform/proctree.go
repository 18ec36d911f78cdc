package platform

// ProcInfo is one process as the system's process table shows it: enough to
// find a server's group, session and children, and to know it again later.
type ProcInfo struct {
	PID, PPID int
	PGID, SID int
	HasTTY    bool   // it has a controlling terminal (an interactive login)
	Token     string // what ProcessToken returns for it
	Zombie    bool   // it exited and waits for its parent to reap it
}
