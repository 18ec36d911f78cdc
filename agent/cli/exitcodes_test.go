package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestExitCodesAreDocumented: docs/CLI.md's table of exit codes is the
// one exitCodes defines, row for row.
func TestExitCodesAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CLI.md")
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	table.WriteString("| code | meaning |\n|---|---|\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&table, "| %d | %s |\n", c.code, c.meaning)
	}
	if !strings.Contains(string(doc), table.String()) {
		t.Errorf("docs/CLI.md does not hold the exit codes as exitCodes defines them; put this table there:\n%s", table.String())
	}
	for i, c := range exitCodes {
		if c.code != i {
			t.Errorf("exitCodes[%d] is code %d: keep them in order, one per code", i, c.code)
		}
	}
}
