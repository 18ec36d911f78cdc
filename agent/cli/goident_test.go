package cli

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// seen is every output the tests' commands printed, checked at the end
// of the package's tests for Go identifiers (see checkOutputs).
var seen struct {
	sync.Mutex
	outputs []output
}

type output struct {
	args string
	code int
	text string
}

// record keeps a command's output for checkOutputs.
func record(args []string, code int, stdout, stderr string) {
	seen.Lock()
	defer seen.Unlock()
	seen.outputs = append(seen.outputs, output{strings.Join(args, " "), code, stdout + stderr})
}

// goIdent matches what reads as Go rather than the admin's words: a
// package's function or type (fetch.Check, scan.Plan, http.Client.Do), a
// type's field or method (Config.BaseURL), a pointer receiver
// ((*Client).Check).
var goIdent = regexp.MustCompile(`\(\*[A-Z]\w*\)\.\w+|\b[a-z][a-z0-9]*\.[A-Z]\w*(\.[A-Z]\w*)*|\b[A-Z][a-z0-9]+[A-Z]\w*\.[A-Z]\w*|\b[A-Z][a-z0-9]+\.[A-Z][a-z0-9]*[A-Z]\w*`)

// goIdentifiers returns the Go identifiers in text.
func goIdentifiers(text string) []string {
	return goIdent.FindAllString(text, -1)
}

func TestGoIdentifiersAreFound(t *testing.T) {
	for text, want := range map[string]string{
		`fetch.Check 2.50: http.Client.Do: connection refused; check Config.BaseURL`: "fetch.Check http.Client.Do Config.BaseURL",
		`upkeep: scan.Plan: cannot include upgrades of cor`:                          "scan.Plan",
		`(*Client).Listing failed`:                                                   "(*Client).Listing",
		`read /etc/upkeep/upkeep.toml: no such file; see docs/examples/tryton.toml`:  "",
		`Plan 9bef771794ea. Run 'upkeep --help' for usage. See README.md, 127.0.0.1`: "",
		`core 2.50.21 is included in 2.50.22. Apply this plan? [y/N]`:                "",
	} {
		if got := strings.Join(goIdentifiers(text), " "); got != want {
			t.Errorf("goIdentifiers(%q) = %q, want %q", text, got, want)
		}
	}
}

// checkOutputs fails when any command the tests ran printed a Go
// identifier, naming the command and the identifiers.
func checkOutputs() error {
	seen.Lock()
	defer seen.Unlock()
	var bad []string
	for _, o := range seen.outputs {
		if ids := goIdentifiers(o.text); len(ids) > 0 {
			slices.Sort(ids)
			bad = append(bad, fmt.Sprintf("upkeep %s (exit %d): %s", o.args, o.code, strings.Join(slices.Compact(ids), ", ")))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("Go identifiers in what %d commands printed (say it in the admin's words):\n  %s", len(bad), strings.Join(slices.Compact(bad), "\n  "))
}

// reportOutputs is TestMain's end: it turns a passing run red when a
// command printed a Go identifier.
func reportOutputs(code int) int {
	if err := checkOutputs(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		if code == 0 {
			return 1
		}
	}
	return code
}
