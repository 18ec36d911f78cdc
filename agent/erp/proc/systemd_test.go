//go:build unix

package proc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp/proc"
)

// fakeSystemctl is a systemctl that records its arguments and keeps the
// unit's state in a file; FAIL_START=1 makes start fail like systemd does.
const fakeSystemctl = `#!/bin/sh
echo "$*" >> "$FAKE_DIR/calls"
case "$1" in
stop) echo inactive > "$FAKE_DIR/state" ;;
start)
	if [ "$FAIL_START" = 1 ]; then
		echo "Job for $2 failed because the control process exited with error code." >&2
		exit 1
	fi
	echo "${START_STATE:-active}" > "$FAKE_DIR/state" ;;
is-active)
	st=$(cat "$FAKE_DIR/state" 2>/dev/null || echo inactive)
	echo "$st"
	[ "$st" = active ] ;;
*) echo "unknown verb $1" >&2; exit 2 ;;
esac
`

// withFakeSystemctl puts the fake first on PATH and returns its folder.
func withFakeSystemctl(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "systemctl"), []byte(fakeSystemctl), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_DIR", dir)
	return dir
}

func calls(t *testing.T, dir string) []string {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(dir, "calls"))
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestSystemdRendersStopAndStart(t *testing.T) {
	dir := withFakeSystemctl(t)
	s, err := proc.New(proc.Config{SystemdUnit: "tryton.service"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	want := "stop tryton.service|is-active tryton.service|start tryton.service|is-active tryton.service"
	if got := strings.Join(calls(t, dir), "|"); got != want {
		t.Errorf("systemctl calls:\n%s\nwant\n%s", got, want)
	}
}

func TestSystemdStartFailures(t *testing.T) {
	withFakeSystemctl(t)
	s, err := proc.New(proc.Config{SystemdUnit: "tryton.service"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("systemctl fails", func(t *testing.T) {
		t.Setenv("FAIL_START", "1")
		err := s.Start(t.Context())
		if err == nil || !strings.Contains(err.Error(), "Job for tryton.service failed") {
			t.Fatalf("Start = %v, want systemctl's message", err)
		}
	})
	t.Run("unit not active after start", func(t *testing.T) {
		t.Setenv("START_STATE", "failed")
		err := s.Start(t.Context())
		if err == nil || !strings.Contains(err.Error(), `"failed"`) || !strings.Contains(err.Error(), "journalctl -u tryton.service") {
			t.Fatalf("Start = %v, want the state and journalctl named", err)
		}
	})
	t.Run("no systemctl", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		err := s.Stop(t.Context())
		if err == nil || !strings.Contains(err.Error(), "no systemd") {
			t.Fatalf("Stop without systemctl = %v, want the remedy", err)
		}
	})
}

func TestNewRefusesUnclearConfig(t *testing.T) {
	tests := map[string]proc.Config{
		"nothing":               {},
		"unit and pidfile":      {SystemdUnit: "erp.service", PIDFile: "/run/erp.pid"},
		"pidfile without start": {PIDFile: "/run/erp.pid"},
		"pidfile and stop":      {PIDFile: "/run/erp.pid", Start: []string{"erp"}, Stop: []string{"kill"}},
		"start without stop":    {Start: []string{"erp"}},
		"bad unit name":         {SystemdUnit: "--now"},
	}
	for name, c := range tests {
		if _, err := proc.New(c); err == nil || !strings.Contains(err.Error(), "erp.server") {
			t.Errorf("%s: New = %v, want an error naming erp.server", name, err)
		}
	}
}

func FuzzParsePID(f *testing.F) {
	for _, s := range []string{"1234\n", "1", "0", "-5", "+5", " 42 ", "abc", "", "99999999999999999999", "12\n34"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pid, err := proc.ParsePID(data)
		if err == nil && pid <= 0 {
			t.Errorf("ParsePID(%q) = %d without error", data, pid)
		}
	})
}
