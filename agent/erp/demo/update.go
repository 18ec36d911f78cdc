package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
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
	argv := append(append(append([]string{}, prog...), "--dir", w.dir, "update"), args...)
	err = proc.Command{Argv: argv, Output: log}.Run(ctx)
	var pe *proc.Error
	if !errors.As(err, &pe) {
		return err
	}
	err = pe.Err
	if pe.Cause != nil {
		err = fmt.Errorf("%w: %w (its process group was killed)", err, ctx.Err())
	}
	return fmt.Errorf("demo ERP update (demo-erp update %s): %w\n%s", strings.Join(args, " "), err, pe.Tail(20))
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
