package proc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// systemdStopSlack is added to StopTimeout when waiting for systemctl stop:
// systemd applies the unit's own TimeoutStopSec (90s by default).
const systemdStopSlack = 90 * time.Second

// Systemd controls a systemd unit with systemctl (found on PATH).
type Systemd struct {
	cfg Config
}

func newSystemd(c Config) (*Systemd, error) {
	if strings.ContainsAny(c.SystemdUnit, " \t\n/") || strings.HasPrefix(c.SystemdUnit, "-") {
		return nil, fmt.Errorf("erp.server.systemd_unit = %q is not a unit name: give one such as \"tryton.service\"", c.SystemdUnit)
	}
	return &Systemd{cfg: c}, nil
}

// Stop runs systemctl stop UNIT and checks that the unit is no longer active.
func (s *Systemd) Stop(ctx context.Context) error {
	if err := s.systemctl(ctx, s.cfg.StopTimeout+systemdStopSlack, "stop"); err != nil {
		return err
	}
	switch st := s.state(ctx); st {
	case "inactive", "failed", "unknown":
		return nil
	default:
		return fmt.Errorf("the unit %s is %q after systemctl stop: see journalctl -u %s", s.cfg.SystemdUnit, st, s.cfg.SystemdUnit)
	}
}

// Start runs systemctl start UNIT and checks that the unit is active.
func (s *Systemd) Start(ctx context.Context) error {
	if err := s.systemctl(ctx, s.cfg.StartTimeout, "start"); err != nil {
		return err
	}
	switch st := s.state(ctx); st {
	case "active", "activating", "reloading":
		return nil
	default:
		return fmt.Errorf("the unit %s is %q after systemctl start: see journalctl -u %s", s.cfg.SystemdUnit, st, s.cfg.SystemdUnit)
	}
}

// systemctl runs systemctl VERB UNIT within timeout.
func (s *Systemd) systemctl(ctx context.Context, timeout time.Duration, verb string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "systemctl", verb, s.cfg.SystemdUnit).CombinedOutput()
	if err != nil {
		var hint string
		if errors.Is(err, exec.ErrNotFound) {
			hint = "; this host has no systemd: use erp.server.pidfile or start/stop commands"
		}
		return fmt.Errorf("systemctl %s %s: %w%s\n%s", verb, s.cfg.SystemdUnit, err, hint, LastLines(string(out), 20))
	}
	return nil
}

// state returns what systemctl is-active says (it exits non-zero for any
// state but active, so only its output counts).
func (s *Systemd) state(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "systemctl", "is-active", s.cfg.SystemdUnit).Output()
	if st := strings.TrimSpace(string(out)); st != "" {
		return st
	}
	return "unknown"
}
