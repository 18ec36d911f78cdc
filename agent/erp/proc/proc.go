// Package proc runs the programs the agent runs for an ERP (Command: a process group of its own, the output's tail, another OS user) and stops and starts its server: a systemd unit, a pidfile with a start command the agent runs detached, or stop and start commands.
package proc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
)

// Config says how the server is controlled; it mirrors config.Server. Give
// SystemdUnit; or PIDFile with Start; or Start with Stop.
type Config struct {
	SystemdUnit string   // systemctl stop|start UNIT, checked with systemctl is-active
	PIDFile     string   // the file the server writes its process id to
	Start       []string // the start command: the server itself (PIDFile) or a starter that returns (Stop)
	Stop        []string // the stop command (without PIDFile)
	// Log receives the output of what the agent starts, appended; default
	// PIDFile+".log" with a pidfile, none with commands.
	Log string
	// StopTimeout is how long a server has after SIGTERM before SIGKILL, and
	// how long a stop command may run; default 30s.
	StopTimeout time.Duration
	// StartTimeout bounds waiting for the pidfile after starting, and a start
	// command's run; default 2m.
	StartTimeout time.Duration
}

// Default timeouts.
const (
	DefaultStopTimeout  = 30 * time.Second
	DefaultStartTimeout = 2 * time.Minute
)

// New returns the server control that c describes.
func New(c Config) (erp.Server, error) {
	if c.StopTimeout <= 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	switch {
	case c.SystemdUnit != "":
		if c.PIDFile != "" || len(c.Start)+len(c.Stop) > 0 {
			return nil, errors.New("erp.server: systemd_unit is set together with pidfile, start or stop: give the unit alone")
		}
		return newSystemd(c)
	case c.PIDFile != "":
		if len(c.Start) == 0 || len(c.Stop) > 0 {
			return nil, errors.New("erp.server: pidfile needs start (the server's command line) and no stop: the agent starts the server itself and stops it by signal")
		}
		return newPIDFile(c), nil
	case len(c.Start) > 0 && len(c.Stop) > 0:
		return &Commands{cfg: c}, nil
	}
	return nil, errors.New("erp.server: say how to stop and start the ERP's server: systemd_unit, or pidfile with start, or start with stop")
}

// LastLines returns the last n non-blank lines of out, joined by
// newlines, for error messages that quote a program's output.
func LastLines(out string, n int) string {
	lines := strings.Split(out, "\n")
	var keep []string
	for i := len(lines) - 1; i >= 0 && len(keep) < n; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			keep = append(keep, strings.TrimRight(lines[i], "\r"))
		}
	}
	slices.Reverse(keep)
	return strings.Join(keep, "\n")
}

// Quote renders a command line for messages, quoting the arguments a
// shell would split or expand.
func Quote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t\"'\\$") {
			q[i] = fmt.Sprintf("%q", a)
		}
	}
	return strings.Join(q, " ")
}
