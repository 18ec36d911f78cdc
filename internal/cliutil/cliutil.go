// Package cliutil runs Upkeep's cobra command lines to an exit code, so the three programs report errors and usage the same way.
package cliutil

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes every Upkeep program shares; programs add their own above 2.
const (
	ExitOK    = 0
	ExitError = 1 // the operation failed; the message says why and what to do
	ExitUsage = 2 // bad command line (or configuration)
)

// CodeError carries the exit code an error should end the program with.
type CodeError struct {
	Code int
	Err  error
}

func (e CodeError) Error() string { return e.Err.Error() }
func (e CodeError) Unwrap() error { return e.Err }

// WithCode attaches an exit code to err (nil stays nil).
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return CodeError{Code: code, Err: err}
}

// Usage marks err as a command-line mistake (exit 2).
func Usage(err error) error { return WithCode(ExitUsage, err) }

// Run executes root with args and returns the exit code: 0 on success, the
// code carried by a CodeError, 2 for cobra's own usage errors (unknown
// command or flag, missing required flag), else 1. Errors are printed as
// "NAME: message", usage errors with a pointer to --help.
func Run(root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SilenceUsage, root.SilenceErrors = true, true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usage(err) })
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	code := ExitError
	var ee CodeError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case cobraUsage(err):
		code = ExitUsage
	}
	fmt.Fprintf(stderr, "%s: %v\n", root.Name(), err)
	if code == ExitUsage {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", root.Name())
	}
	return code
}

// cobraUsage recognises the usage errors cobra returns untyped.
func cobraUsage(err error) bool {
	for _, p := range []string{"unknown command", "unknown flag", "required flag"} {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	return false
}

// ExactArgs requires n positional arguments, described by names.
func ExactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return Usage(fmt.Errorf("expected %s, got %d argument(s)", names, len(args)))
		}
		return nil
	}
}

// MinArgs needs at least n positional arguments; why says what to give.
func MinArgs(n int, why string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < n {
			return Usage(fmt.Errorf("%s", why))
		}
		return nil
	}
}

// MaxArgs allows at most n positional arguments, described by names.
func MaxArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > n {
			return Usage(fmt.Errorf("expected %s, got %d arguments", names, len(args)))
		}
		return nil
	}
}
