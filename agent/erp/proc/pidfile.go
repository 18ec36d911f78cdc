package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/platform"
)

// Timings of the pidfile control.
const (
	pollEvery = 25 * time.Millisecond
	// daemonGrace is how long a start command that exited 0 (a starter that
	// daemonizes) has left for the pidfile to name a live server.
	daemonGrace = 3 * time.Second
	// killWait bounds waiting for a process to vanish after SIGKILL.
	killWait = 10 * time.Second
	// reuseSlack is how much later than its pidfile a process may have
	// started and still be the one that wrote it (clock granularity).
	reuseSlack = 2 * time.Second
)

// PIDFile starts the server detached (its own session, output appended to
// the log), knows it by the process id it writes to the pidfile, and stops
// it with SIGTERM to its process group, then SIGKILL after the timeout.
type PIDFile struct {
	cfg Config
}

func newPIDFile(c Config) *PIDFile {
	if c.Log == "" {
		c.Log = c.PIDFile + ".log"
	}
	return &PIDFile{cfg: c}
}

// Stop stops the server the pidfile names: SIGTERM to its process, its
// group, its session and their children (a server started with nohup … &
// by a script leads none of them), then waiting until they are gone and
// their ports closed; after the stop timeout, SIGKILL to all of them and to
// whatever holds their ports. A missing pidfile, or one naming a dead
// process or a process that started after the pidfile was written (its id
// reused by another program), counts as stopped and is removed.
func (p *PIDFile) Stop(ctx context.Context) error {
	pid, ok, err := p.running()
	if err != nil || !ok {
		return err
	}
	t := findTree(pid)
	if err := t.signal(false); err != nil {
		return fmt.Errorf("stop the ERP server (pid %d from %s): %w", pid, p.cfg.PIDFile, err)
	}
	tctx, cancel := context.WithTimeout(ctx, p.cfg.StopTimeout)
	defer cancel()
	if t.waitDown(tctx) != "" {
		t.widen()
		if err := t.signal(true); err != nil {
			return fmt.Errorf("kill the ERP server (pid %d) after %s: %w", pid, p.cfg.StopTimeout, err)
		}
		kctx, cancel := context.WithTimeout(context.Background(), killWait)
		defer cancel()
		if left := t.waitDown(kctx); left != "" {
			return fmt.Errorf("the ERP server (pid %d from %s) is not down %s after SIGKILL: %s; check it with ps and ss and stop it by hand",
				pid, p.cfg.PIDFile, killWait, left)
		}
	}
	t.settle()
	p.removeIfNames(pid)
	return nil
}

// Start starts the server unless the pidfile names a running one, and
// returns once the pidfile names a live process.
func (p *PIDFile) Start(ctx context.Context) error {
	if _, ok, err := p.running(); err != nil || ok {
		return err
	}
	log, off, err := p.openLog()
	if err != nil {
		return err
	}
	c := p.cfg.Start
	cmd := exec.Command(c[0], c[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	platform.Detach(cmd)
	err = cmd.Start()
	log.Close()
	if err != nil {
		return fmt.Errorf("start the ERP server %s: %w; check erp.server.start", Quote(c), err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reap it, so that ProcessAlive sees it gone
	pid, err := p.awaitPID(ctx, exited)
	if err != nil {
		platform.KillGroup(cmd.Process.Pid)
		return fmt.Errorf("start the ERP server %s: %w\nlast lines of %s:\n%s", Quote(c), err, p.cfg.Log, p.logTail(off))
	}
	p.recordToken(pid)
	return nil
}

// awaitPID waits until the pidfile names a live process (the same one on two
// reads in a row, so a half-written pidfile is not believed), the start
// command fails, or the start timeout ends, and returns the process id.
func (p *PIDFile) awaitPID(ctx context.Context, exited <-chan error) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()
	var grace <-chan time.Time
	last := 0
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			if err != nil {
				return 0, fmt.Errorf("it exited at once (%w)", err)
			}
			grace = time.After(daemonGrace)
		case <-grace:
			return 0, fmt.Errorf("it exited without a live server writing %s", p.cfg.PIDFile)
		case <-ctx.Done():
			return 0, fmt.Errorf("no live process id in %s after %s (%w); check that the server writes it", p.cfg.PIDFile, p.cfg.StartTimeout, ctx.Err())
		case <-tick.C:
		}
		pid, ok, _ := p.read()
		if ok && pid == last && platform.ProcessAlive(pid) {
			return pid, nil
		}
		last = pid
	}
}

// running reads the pidfile and reports whether it names our server; a
// stale pidfile is removed.
func (p *PIDFile) running() (int, bool, error) {
	pid, ok, err := p.read()
	if err != nil || !ok {
		return 0, false, err
	}
	if !platform.ProcessAlive(pid) || p.reused(pid) {
		if err := os.Remove(p.cfg.PIDFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, false, fmt.Errorf("remove the stale pidfile %s: %w", p.cfg.PIDFile, err)
		}
		os.Remove(p.tokenPath())
		return 0, false, nil
	}
	return pid, true, nil
}

// read returns the process id in the pidfile; ok is false when there is none.
func (p *PIDFile) read() (int, bool, error) {
	data, err := os.ReadFile(p.cfg.PIDFile)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read the pidfile %s: %w", p.cfg.PIDFile, err)
	}
	pid, err := ParsePID(data)
	if err != nil {
		return 0, false, fmt.Errorf("the pidfile %s: %w; remove it if no ERP server runs", p.cfg.PIDFile, err)
	}
	return pid, true, nil
}

// ParsePID reads a pidfile's content: a positive process id, optionally
// followed by a newline.
func ParsePID(data []byte) (int, error) {
	s := strings.TrimSpace(string(data))
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 || strings.ContainsAny(s, "+-") {
		return 0, fmt.Errorf("%.40q is not a process id", s)
	}
	return pid, nil
}

// reused reports whether process pid is not the server that wrote the
// pidfile, its id reused by another program: its token differs from the one
// recorded when the agent started the server, or, without a record, it
// started after the pidfile was written.
func (p *PIDFile) reused(pid int) bool {
	if recPID, token, ok := p.recordedToken(); ok && recPID == pid {
		now, err := platform.ProcessToken(pid)
		return err == nil && now != token
	}
	st, err := os.Stat(p.cfg.PIDFile)
	if err != nil {
		return false
	}
	started, err := platform.ProcessStartTime(pid)
	if err != nil {
		return false // cannot tell: trust the pidfile
	}
	return started.After(st.ModTime().Add(reuseSlack))
}

// tokenPath is where the agent records the started server's identity.
func (p *PIDFile) tokenPath() string { return p.cfg.PIDFile + ".upkeep-id" }

// recordToken records "PID TOKEN" for the server the agent started; without
// it, reused falls back to comparing times.
func (p *PIDFile) recordToken(pid int) {
	if token, err := platform.ProcessToken(pid); err == nil {
		platform.WriteFileAtomic(p.tokenPath(), []byte(fmt.Sprintf("%d %s\n", pid, token)), 0o644)
	}
}

// recordedToken reads the record recordToken wrote.
func (p *PIDFile) recordedToken() (int, string, bool) {
	data, err := os.ReadFile(p.tokenPath())
	if err != nil {
		return 0, "", false
	}
	pidText, token, ok := strings.Cut(strings.TrimSpace(string(data)), " ")
	pid, err := strconv.Atoi(pidText)
	return pid, token, ok && err == nil && token != ""
}

// removeIfNames removes the pidfile when it still names pid (a server
// killed by SIGKILL leaves it behind).
func (p *PIDFile) removeIfNames(pid int) {
	if got, ok, _ := p.read(); ok && got == pid {
		os.Remove(p.cfg.PIDFile)
	}
	os.Remove(p.tokenPath())
}

// openLog opens the log for appending and marks the start; off is where
// this start's output begins.
func (p *PIDFile) openLog() (*os.File, int64, error) {
	if err := os.MkdirAll(filepath.Dir(p.cfg.Log), 0o755); err != nil {
		return nil, 0, fmt.Errorf("create the server log's folder: %w", err)
	}
	f, err := os.OpenFile(p.cfg.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open the server log %s: %w; check erp.server.log", p.cfg.Log, err)
	}
	fmt.Fprintf(f, "--- upkeep: starting %s at %s\n", Quote(p.cfg.Start), time.Now().Format(time.RFC3339))
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("seek the server log %s: %w", p.cfg.Log, err)
	}
	return f, off, nil
}

// logTail returns the last lines the log received after off.
func (p *PIDFile) logTail(off int64) string {
	const maxTail = 64 << 10
	f, err := os.Open(p.cfg.Log)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size()-off > maxTail {
		off = st.Size() - maxTail
	}
	data, _ := io.ReadAll(io.NewSectionReader(f, off, maxTail))
	if tail := LastLines(string(data), 20); tail != "" {
		return tail
	}
	return "(no output)"
}
