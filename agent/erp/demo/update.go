package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/platform"
)

// Update runs the demo ERP's own update as a child process, demo-erp
// --dir DIR update [--disable=…] [--update=all|…] [--install=…], its output
// to log; a failure carries the last lines of that output. Cancelling ctx
// kills the program's process group.
func (w *Writer) Update(ctx context.Context, req erp.UpdateRequest, log io.Writer) error {
	args, err := updateArgs(req)
	if err != nil {
		return err
	}
	prog, err := w.program()
	if err != nil {
		return err
	}
	argv := append(append(append([]string{}, prog[1:]...), "--dir", w.dir, "update"), args...)
	if log == nil {
		log = io.Discard
	}
	tail := &tailBuffer{max: 64 << 10}
	cmd := exec.CommandContext(ctx, prog[0], argv...)
	out := io.MultiWriter(log, tail)
	cmd.Stdout, cmd.Stderr = out, out // one writer: one Write at a time
	platform.OwnProcessGroup(cmd)
	cmd.Cancel = func() error { return platform.KillGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w: %w (its process group was killed)", err, ctx.Err())
		}
		return fmt.Errorf("demo ERP update (demo-erp update %s): %w\n%s", strings.Join(args, " "), err, proc.LastLines(tail.String(), 20))
	}
	return nil
}

// updateArgs renders req as demo-erp update flags.
func updateArgs(req erp.UpdateRequest) ([]string, error) {
	var args []string
	if len(req.Disable) > 0 {
		args = append(args, "--disable="+strings.Join(req.Disable, ","))
	}
	switch {
	case req.All && len(req.Modules) > 0:
		return nil, errors.New("demo ERP update: the request says all modules and names modules: give one or the other")
	case req.All:
		args = append(args, "--update=all")
	case len(req.Modules) > 0:
		args = append(args, "--update="+strings.Join(req.Modules, ","))
	}
	if len(req.Install) > 0 {
		args = append(args, "--install="+strings.Join(req.Install, ","))
	}
	if len(args) == 0 {
		return nil, errors.New("demo ERP update: the request is empty: give modules to update, install or disable")
	}
	return args, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }
