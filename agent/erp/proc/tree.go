package proc

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/platform"
)

// family picks, from the process table all, the processes that make up the
// server whose main process is pid: pid itself, its process group and its
// session, and every descendant of those. It never picks the agent (self),
// the agent's ancestors, init, nor the agent's own group or session; and a
// session with a controlling terminal (someone's login) only through pid's
// group and descendants.
func family(all []platform.ProcInfo, pid int, self platform.ProcInfo) []platform.ProcInfo {
	byPID := map[int]platform.ProcInfo{}
	for _, p := range all {
		byPID[p.PID] = p
	}
	spared := map[int]bool{1: true, self.PID: true}
	for p, ok := byPID[self.PPID]; ok && !spared[p.PID]; p, ok = byPID[p.PPID] {
		spared[p.PID] = true
	}
	target, ok := byPID[pid]
	if !ok || spared[pid] {
		return nil
	}
	picked := map[int]bool{pid: true}
	for _, p := range all {
		group := p.PGID == target.PGID && target.PGID > 1 && target.PGID != self.PGID
		session := p.SID == target.SID && target.SID > 1 && target.SID != self.SID && !target.HasTTY
		if (group || session) && !spared[p.PID] {
			picked[p.PID] = true
		}
	}
	for grew := true; grew; { // descendants, to any depth
		grew = false
		for _, p := range all {
			if !picked[p.PID] && picked[p.PPID] && !spared[p.PID] {
				picked[p.PID], grew = true, true
			}
		}
	}
	var out []platform.ProcInfo
	for _, p := range all {
		if picked[p.PID] {
			out = append(out, p)
		}
	}
	return out
}

// tree is a server's processes and the TCP ports they listen on, found
// before the stop so that processes re-parented to init are still known.
type tree struct {
	pid     int
	procs   map[int]string // pid → token; token "" when the system cannot tell
	sockets map[uint64]int // listening socket inode → port
	full    bool           // the process table could be read
}

// findTree snapshots the server whose main process is pid.
func findTree(pid int) *tree {
	t := &tree{pid: pid, procs: map[int]string{}, sockets: map[uint64]int{}}
	t.add(pid)
	return t
}

// add adds the family of pid, and the sockets they listen on.
func (t *tree) add(pid int) {
	all, err := platform.Processes()
	if err != nil {
		if _, ok := t.procs[pid]; !ok {
			t.procs[pid] = ""
		}
		return
	}
	t.full = true
	self := platform.ProcInfo{PID: os.Getpid(), PPID: os.Getppid()}
	for _, p := range all {
		if p.PID == self.PID {
			self = p
		}
	}
	for _, p := range family(all, pid, self) {
		if !p.Zombie {
			t.procs[p.PID] = p.Token
		}
	}
	if s, err := platform.ListeningSockets(slices.Collect(maps.Keys(t.procs))); err == nil {
		maps.Copy(t.sockets, s)
	}
}

// signal sends SIGTERM (or SIGKILL) to every process of the tree that is
// still the one found; without a process table, to pid's process group too.
func (t *tree) signal(kill bool) error {
	one, group := platform.Terminate, platform.TerminateGroup
	if kill {
		one, group = platform.Kill, platform.KillGroup
	}
	if !t.full {
		group(t.pid)
	}
	var first error
	for pid, token := range t.procs {
		if !t.same(pid, token) {
			continue
		}
		if err := one(pid); err != nil && first == nil {
			first = fmt.Errorf("signal process %d: %w", pid, err)
		}
	}
	return first
}

// same reports whether pid still names the process found (not a reuse).
func (t *tree) same(pid int, token string) bool {
	if !platform.ProcessRunning(pid) {
		return false
	}
	if token == "" {
		return true
	}
	now, err := platform.ProcessToken(pid)
	return err != nil || now == token
}

// widen adds what appeared since the snapshot: the families of the
// processes still running (children forked meanwhile) and every process
// holding one of the listening sockets.
func (t *tree) widen() {
	for pid, token := range maps.Clone(t.procs) {
		if t.same(pid, token) {
			t.add(pid)
		}
	}
	for _, pid := range platform.SocketHolders(t.sockets) {
		if token, err := platform.ProcessToken(pid); err == nil && pid != os.Getpid() {
			t.procs[pid] = token
		}
	}
}

// left describes what still runs or listens; "" when the server is down.
func (t *tree) left() string {
	var alive []string
	for pid, token := range t.procs {
		if t.same(pid, token) {
			alive = append(alive, strconv.Itoa(pid))
		}
	}
	sort.Strings(alive)
	var parts []string
	if len(alive) > 0 {
		parts = append(parts, "process "+strings.Join(alive, ", ")+" still runs")
	}
	if open, err := platform.StillListening(t.sockets); err == nil && len(open) > 0 {
		ports := slices.Sorted(maps.Values(open))
		parts = append(parts, fmt.Sprintf("port %s still listens", strings.Trim(fmt.Sprint(slices.Compact(ports)), "[]")))
	}
	return strings.Join(parts, "; ")
}

// waitDown polls until no process of the tree runs and none of its ports
// listens, or ctx ends; it returns what is left ("" when down).
func (t *tree) waitDown(ctx context.Context) string {
	for {
		left := t.left()
		if left == "" {
			return ""
		}
		select {
		case <-ctx.Done():
			return left
		case <-time.After(pollEvery):
		}
	}
}

// reapWait bounds waiting for exited processes to be reaped.
const reapWait = 5 * time.Second

// settle waits, up to reapWait, until the tree's exited processes are
// reaped (a server re-parented to init stays a zombie until init reaps
// it), so that whoever checks after Stop sees them gone.
func (t *tree) settle() {
	deadline := time.Now().Add(reapWait)
	for pid := range t.procs {
		for platform.ProcessAlive(pid) && !platform.ProcessRunning(pid) && time.Now().Before(deadline) {
			time.Sleep(pollEvery)
		}
	}
}
