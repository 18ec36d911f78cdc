package quickstart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/demoerp"
)

// bin holds the real programs, built once by TestMain.
var bin struct{ dir, upkeep, repo string }

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "quickstart-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		bin.dir, bin.upkeep, bin.repo = dir, filepath.Join(dir, "upkeep"), filepath.Join(dir, "upkeep-repo")
		for out, pkg := range map[string]string{bin.upkeep: "./cmd/upkeep", bin.repo: "./cmd/upkeep-repo"} {
			cmd := exec.Command("go", "build", "-o", out, "github.com/upkeep-erp/upkeep/"+strings.TrimPrefix(pkg, "./"))
			if b, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, b)
				return 1
			}
		}
		return m.Run()
	}())
}

// upkeep runs the built upkeep program and returns its exit code and
// combined output.
func upkeep(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return runProgram(t, bin.upkeep, args...)
}

func runProgram(t *testing.T, program string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(program, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("%s %v: %v", program, args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// versions reads the demo ERP's database: installed module -> the version
// its database is migrated to.
func versions(t *testing.T, dir string) map[string]string {
	t.Helper()
	mods, err := demoerp.Modules(context.Background(), filepath.Join(dir, ERPDir))
	if err != nil {
		t.Fatalf("read the demo ERP's database: %v", err)
	}
	out := map[string]string{}
	for _, m := range mods {
		out[m.Name] = m.DBVersion
	}
	return out
}

// history is the agent's history as `upkeep history --json` gives it.
func history(t *testing.T, dir string) []store.Run {
	t.Helper()
	code, out := upkeep(t, "--config", filepath.Join(dir, ConfigFile), "history", "--json")
	var runs []store.Run
	if err := json.Unmarshal([]byte(out), &runs); code != 0 || err != nil {
		t.Fatalf("history: exit %d, %v\n%s", code, err, out)
	}
	return runs
}

// states is "KIND STATE" of each run, newest first.
func states(runs []store.Run) string {
	var s []string
	for _, r := range runs {
		s = append(s, r.Kind+" "+r.State)
	}
	return strings.Join(s, ", ")
}
