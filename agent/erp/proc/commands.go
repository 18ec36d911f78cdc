package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
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
	out, err := openOutput(logPath)
	if err != nil {
		return err
	}
	defer out.Close()
	if logPath == "" {
		defer os.Remove(out.Name())
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = Command{Argv: argv, Output: out}.Run(ctx)
	var pe *Error
	if !errors.As(err, &pe) {
		return err
	}
	err = pe.Err
	if pe.Cause != nil {
		err = fmt.Errorf("%w after %s: its process group was killed", ctx.Err(), timeout)
	}
	return fmt.Errorf("%s: %w\n%s", Quote(argv), err, pe.Tail(20))
}

// openOutput opens logPath for appending, or a temp file.
func openOutput(logPath string) (*os.File, error) {
	if logPath == "" {
		f, err := os.CreateTemp("", "upkeep-server-*.log")
		if err != nil {
			return nil, fmt.Errorf("create a temp file for the command's output: %w", err)
		}
		return f, nil
	}
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open the server log %s: %w; check erp.server.log", logPath, err)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("seek the server log %s: %w", logPath, err)
	}
	return f, nil
}
