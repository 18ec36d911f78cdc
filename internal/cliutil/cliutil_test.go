package cliutil

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestRunMapsErrorsToExitCodes(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"ok"}, ExitOK, ""},
		{[]string{"fail"}, ExitError, "prog: it broke"},
		{[]string{"coded"}, 5, "prog: untrusted"},
		{[]string{"args", "x"}, ExitUsage, "Run 'prog --help'"},
		{[]string{"nosuch"}, ExitUsage, "unknown command"},
		{[]string{"ok", "--nosuch"}, ExitUsage, "unknown flag"},
	} {
		root := &cobra.Command{Use: "prog"}
		root.AddCommand(
			&cobra.Command{Use: "ok", RunE: func(*cobra.Command, []string) error { return nil }},
			&cobra.Command{Use: "fail", RunE: func(*cobra.Command, []string) error { return errors.New("it broke") }},
			&cobra.Command{Use: "coded", RunE: func(*cobra.Command, []string) error { return WithCode(5, errors.New("untrusted")) }},
			&cobra.Command{Use: "args", Args: ExactArgs(0, "no arguments"), RunE: func(*cobra.Command, []string) error { return nil }},
		)
		var out, errOut bytes.Buffer
		if got := Run(root, c.args, &out, &errOut); got != c.code || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d %q, want %d containing %q", c.args, got, errOut.String(), c.code, c.want)
		}
	}
}
