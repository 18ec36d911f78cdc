// Package service installs, controls and runs the agent as an operating-system service through kardianos/service: one Spec renders the systemd unit, SysV script or launchd plist (installable under a staging root too), and Run starts an Agent and stops it cleanly on SIGTERM or SIGINT.
package service

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Name is the service's name with the init system.
const Name = "upkeep"

// DefaultAfter are the units the agent starts after: the network (it
// fetches from the central repository) and PostgreSQL (the ERP's database).
var DefaultAfter = []string{"network-online.target", "postgresql.service"}

// Spec says what to install: the agent's binary run with `run --config`.
type Spec struct {
	Name        string
	DisplayName string
	Description string
	Executable  string            // absolute path of the upkeep binary
	ConfigPath  string            // absolute path of the configuration, passed as --config
	User, Group string            // run as this user and group; empty: root
	After       []string          // systemd units to start after (SysV: their names without .service)
	Env         map[string]string // the service's environment
	LogFile     string            // SysV and launchd: where stdout and stderr go (default /var/log/NAME.log)
}

// DefaultSpec is the agent's service for this binary and configuration.
func DefaultSpec(executable, configPath string) Spec {
	return Spec{
		Name:        Name,
		DisplayName: "Upkeep agent",
		Description: "Keeps the ERP's modules patched, updated and upgraded, safely",
		Executable:  executable,
		ConfigPath:  configPath,
		After:       DefaultAfter,
	}
}

// Arguments are the service's command-line arguments after the executable.
func (s Spec) Arguments() []string { return []string{"run", "--config", s.ConfigPath} }

func (s Spec) logFile() string {
	if s.LogFile != "" {
		return s.LogFile
	}
	return "/var/log/" + s.Name + ".log"
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]*$`)
	envRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// check refuses what no init system could read back as meant.
func (s Spec) check() error {
	if !nameRE.MatchString(s.Name) {
		return fmt.Errorf("service name %q: use letters, digits, '-', '_', '.' or '@'", s.Name)
	}
	for _, p := range []struct{ what, v string }{{"the executable", s.Executable}, {"the configuration", s.ConfigPath}} {
		if !filepath.IsAbs(p.v) {
			return fmt.Errorf("%s path %q is not absolute: give an absolute path", p.what, p.v)
		}
	}
	for _, id := range []struct{ what, v string }{{"user", s.User}, {"group", s.Group}} {
		if id.v != "" && !nameRE.MatchString(id.v) {
			return fmt.Errorf("%s %q: not a valid %s name", id.what, id.v, id.what)
		}
	}
	for k := range s.Env {
		if !envRE.MatchString(k) {
			return fmt.Errorf("environment variable name %q: use letters, digits and '_'", k)
		}
	}
	return s.checkText()
}

// checkText refuses text no service file can carry: invalid UTF-8, control
// characters (a newline would end a unit line), characters XML forbids, and
// "{{", which kardianos's template engine would read as an action.
func (s Spec) checkText() error {
	fields := append([]string{s.DisplayName, s.Description, s.Executable, s.ConfigPath, s.LogFile}, s.After...)
	for _, k := range sortedKeys(s.Env) {
		fields = append(fields, s.Env[k])
	}
	for _, f := range fields {
		if !utf8.ValidString(f) || strings.Contains(f, "{{") || strings.IndexFunc(f, unwritable) >= 0 {
			return fmt.Errorf("%q: remove the control characters, invalid UTF-8 or \"{{\" from it", f)
		}
	}
	return nil
}

// unwritable are the control characters and the characters XML 1.0 forbids.
func unwritable(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0xd800 && r < 0xe000) || r == 0xfffe || r == 0xffff
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
