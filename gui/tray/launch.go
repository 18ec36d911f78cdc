package tray

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"
)

// Launcher opens the window as a process of its own (Command), hands it
// the targets asked for while it runs (one a line on its input), and
// notices its end: the user closed the window, which freed all the window
// held (canvas, fonts, GL context), while the tray goes on.
type Launcher struct {
	// Command is the window process, opening on target.
	Command func(target string) *exec.Cmd
	// OnExit is told when a window process ended (err: how, nil when the
	// window was closed); optional.
	OnExit func(err error)

	mu   sync.Mutex
	cmd  *exec.Cmd
	in   io.WriteCloser
	done chan struct{}
}

// Open starts the window process on target, or hands target to the one
// running.
func (l *Launcher) Open(target string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.in != nil {
		if _, err := io.WriteString(l.in, target+"\n"); err == nil {
			return nil
		} // it is ending: start another
	}
	cmd := l.Command(target)
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("open the window: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("open the window (%s): %w", cmd.Path, err)
	}
	done := make(chan struct{})
	l.cmd, l.in, l.done = cmd, in, done
	go l.wait(cmd, in, done)
	return nil
}

func (l *Launcher) wait(cmd *exec.Cmd, in io.WriteCloser, done chan struct{}) {
	err := cmd.Wait()
	l.mu.Lock()
	if l.in == in {
		l.cmd, l.in, l.done = nil, nil, nil
	}
	l.mu.Unlock()
	close(done)
	if l.OnExit != nil {
		l.OnExit(err)
	}
}

// Running says whether a window process runs.
func (l *Launcher) Running() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.in != nil
}

// closeWait is how long Close waits for the window process to end by
// itself before killing it.
const closeWait = 5 * time.Second

// Close ends the window process, if one runs: it ends when its input
// does (killed after closeWait), and Close waits for that.
func (l *Launcher) Close() error {
	l.mu.Lock()
	cmd, in, done := l.cmd, l.in, l.done
	l.mu.Unlock()
	if in == nil {
		return nil
	}
	err := in.Close()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		err = errors.Join(err, cmd.Process.Kill())
		<-done
	}
	if err != nil {
		return fmt.Errorf("close the window process: %w", err)
	}
	return nil
}
