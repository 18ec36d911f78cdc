package cli

import (
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/internal/testwait"
)

// TestReloadKeepsTheOldConfigurationOnError: a running agent takes a new
// schedule through `upkeep reload` and through SIGHUP; a file with an
// unknown key is refused both ways (exit 2 naming the key; a warning
// event), and the agent keeps the schedule in use and goes on serving.
func TestReloadKeepsTheOldConfigurationOnError(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	sock := withAPI(t, conf, "[schedule]\nevery = \"6h\"\n")
	c := &api.Client{Path: sock}
	p := startAgent(t, conf, c)
	defer p.stop(t)
	good, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	rewrite(t, conf, good, `every = "6h"`, `every = "1m"`)
	if code, out, errOut := run(t, "--config", conf, "reload"); code != ExitOK || !strings.Contains(out, "schedule") {
		t.Fatalf("reload: exit %d\n%s%s", code, out, errOut)
	}
	checkEvery(t, c, "1m")

	rewrite(t, conf, good, `every = "6h"`, "every = \"2h\"\nevry = \"3h\"")
	code, _, errOut := run(t, "--config", conf, "reload")
	if code != ExitUsage || !strings.Contains(errOut, "evry") {
		t.Errorf("reload of a file with a bad key: exit %d, %q; want %d naming schedule.evry", code, errOut, ExitUsage)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitForEvent(t, c, "config-rejected")
	checkEvery(t, c, "1m")

	rewrite(t, conf, good, `every = "6h"`, `every = "2h"`)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !testwait.Until(20*time.Second, func() bool { return every(t, c) == "2h" }) {
		t.Fatalf("SIGHUP with a good file: every = %s, want 2h\n%s", every(t, c), p.logText())
	}
}

func rewrite(t *testing.T, path string, good []byte, old, new string) {
	t.Helper()
	if !strings.Contains(string(good), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(good), old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

func every(t *testing.T, c *api.Client) string {
	t.Helper()
	st, err := c.Status(ctx)
	if err != nil || st.Schedule == nil {
		t.Fatalf("status: %+v, %v", st, err)
	}
	return st.Schedule.Every
}

func checkEvery(t *testing.T, c *api.Client, want string) {
	t.Helper()
	if got := every(t, c); got != want {
		t.Errorf("the agent's schedule runs every %s, want %s", got, want)
	}
}

func waitForEvent(t *testing.T, c *api.Client, kind string) {
	t.Helper()
	var evs []api.Event
	found := testwait.Until(20*time.Second, func() bool {
		var err error
		if evs, err = c.Events(ctx, api.EventQuery{}); err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(evs, func(e api.Event) bool { return e.Kind == kind })
	})
	if !found {
		t.Fatalf("no %s event in %d events", kind, len(evs))
	}
}
