package proc

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/upkeep-erp/upkeep/platform"
)

// Commands runs configured stop and start commands (e.g. a service
// manager's), each to completion; a non-zero exit is an error.
type Commands struct {
	cfg Config
}

// Stop runs the stop command.
func (c *Commands) Stop(ctx context.Context) error {
	return run(ctx, c.cfg.Stop, c.cfg.Log, c.cfg.StopTimeout)
}

// Start runs the start command.
func (c *Commands) Start(ctx context.Context) error {
	return run(ctx, c.cfg.Start, c.cfg.Log, c.cfg.StartTimeout)
}

// run runs argv in its own process group within timeout, its output
// appended to logPath (a temp file when empty: a file, not a pipe, so that
// a server the command leaves running does not hold the run open). On
// timeout the whole group is killed.
func run(ctx context.Context, argv []string, logPath string, timeout time.Duration) error {
	out, off, err := openOutput(logPath)
	if err != nil {
		return err
	}
	defer out.Close()
	if logPath == "" {
		defer os.Remove(out.Name())
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	platform.OwnProcessGroup(cmd)
	cmd.Cancel = func() error { return platform.KillGroup(cmd.Process.Pid) }
	if err = cmd.Run(); err == nil {
		return nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w after %s: its process group was killed", ctx.Err(), timeout)
	}
	data, _ := io.ReadAll(io.NewSectionReader(out, off, 64<<10))
	return fmt.Errorf("%s: %w\n%s", Quote(argv), err, LastLines(string(data), 20))
}

// openOutput opens logPath for appending, or a temp file, and returns where
// this run's output starts.
func openOutput(logPath string) (*os.File, int64, error) {
	if logPath == "" {
		f, err := os.CreateTemp("", "upkeep-server-*.log")
		if err != nil {
			return nil, 0, fmt.Errorf("create a temp file for the command's output: %w", err)
		}
		return f, 0, nil
	}
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open the server log %s: %w; check erp.server.log", logPath, err)
	}
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("seek the server log %s: %w", logPath, err)
	}
	return f, off, nil
}
