package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/platform"
)

// Command is a program the agent runs for the ERP (its update, a script, a
// stop or start command): in a process group of its own, killed whole
// when the context ends and (on Linux) when the agent dies, as User when
// set, its output to Output and the last of it kept for the error.
type Command struct {
	Argv []string
	Env  []string // the whole environment; nil: the agent's
	Dir  string   // the working folder; "": the agent's
	// Output receives stdout and stderr (nil: discarded). A file is handed
	// to the program as is, so that a server the command leaves running
	// does not keep the run open; any other writer is fed through a pipe.
	Output io.Writer
	// User is the OS user the program runs as (the ERP's, [erp] user);
	// "": the agent's own. Switching user needs the agent to run as root.
	User string
	// WaitDelay is how long a process the program left behind may hold
	// its output open once it has exited (default 5s); then the output is
	// no longer read and the run counts as its exit status says.
	WaitDelay time.Duration
}

// Error is how a command failed: what exec said (a program not found, an
// exit status), what ended it early (the context's cause: its process
// group was killed), its run time and the end of its output.
type Error struct {
	Argv    []string
	Err     error
	Cause   error // non-nil when the context ended the run
	Started bool  // the program started (else Err says why it could not)
	Took    time.Duration
	tail    string
}

func (e *Error) Error() string {
	msg := Quote(e.Argv) + ": " + e.Err.Error()
	if e.Cause != nil {
		msg += fmt.Sprintf(" (%v: its process group was killed)", e.Cause)
	}
	if t := e.Tail(20); t != "" {
		msg += "\n" + t
	}
	return msg
}

// Unwrap gives exec's error and the context's cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// Tail is the last n non-blank lines of the output.
func (e *Error) Tail(n int) string { return LastLines(e.tail, n) }

// tailBytes is how much of the end of a command's output Run keeps.
const tailBytes = 64 << 10

// Run runs the command to its end; a failure is an *Error. A run whose
// output a left-behind process kept open counts as its exit status says,
// with a line about it in Output.
func (c Command) Run(ctx context.Context) error {
	cmd, tail, err := c.build(ctx)
	if err != nil {
		return &Error{Argv: c.Argv, Err: err}
	}
	start := time.Now()
	err = cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		fmt.Fprintf(cmd.Stdout, "upkeep: %s exited 0; a process it started still holds its output, which is no longer read\n", Quote(c.Argv))
		return nil
	}
	if err == nil {
		return nil
	}
	e := &Error{Argv: c.Argv, Err: err, Started: cmd.Process != nil, Took: time.Since(start), tail: tail()}
	if ctx.Err() != nil {
		e.Cause = context.Cause(ctx)
	}
	return e
}

// build makes the exec.Cmd and the function that returns the end of its
// output.
func (c Command) build(ctx context.Context) (*exec.Cmd, func() string, error) {
	if len(c.Argv) == 0 {
		return nil, nil, errors.New("no command to run")
	}
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Env, cmd.Dir = c.Env, c.Dir
	out, tail := c.output()
	cmd.Stdout, cmd.Stderr = out, out // one writer: one Write at a time
	platform.OwnProcessGroup(cmd)
	cmd.Cancel = func() error { return platform.KillGroup(cmd.Process.Pid) }
	cmd.WaitDelay = c.WaitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = 5 * time.Second
	}
	if c.User != "" {
		if err := platform.RunAs(cmd, c.User); err != nil {
			return nil, nil, err
		}
	}
	return cmd, tail, nil
}

// output is where the program writes and how to read the end of it back.
func (c Command) output() (io.Writer, func() string) {
	if f, ok := c.Output.(*os.File); ok {
		if off, err := f.Seek(0, io.SeekCurrent); err == nil {
			return f, func() string { return fileTail(f, off) }
		}
	}
	t := &tail{}
	if c.Output == nil {
		return t, t.String
	}
	return io.MultiWriter(c.Output, t), t.String
}

// fileTail is the end of what was written to f after off.
func fileTail(f *os.File, off int64) string {
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return ""
	}
	from := max(off, end-tailBytes)
	data, _ := io.ReadAll(io.NewSectionReader(f, from, end-from))
	return string(data)
}

// tail keeps the last of what is written to it (between tailBytes and
// twice that).
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*tailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
