package service

import (
	"fmt"
	"html"
	"io/fs"
	"strings"
)

// The init systems Render knows, by kardianos/service's platform names.
const (
	Systemd = "linux-systemd"
	SysV    = "unix-systemv"
	Launchd = "darwin-launchd"
)

// Unit is the file an init system reads to run the service.
type Unit struct {
	System string      // one of Systemd, SysV, Launchd
	Path   string      // where it lives on the live system (absolute)
	Mode   fs.FileMode // its permissions
	Body   string
	Links  []string // symlinks to Path the system expects (SysV runlevels), absolute
}

// Render writes the service file of system for s, exactly as kardianos
// installs it: the body is handed to kardianos as its custom template,
// which contains no template action and so is written verbatim.
func Render(system string, s Spec) (Unit, error) {
	if err := s.check(); err != nil {
		return Unit{}, err
	}
	switch system {
	case Systemd:
		return Unit{System: system, Path: "/etc/systemd/system/" + s.Name + ".service", Mode: 0o644, Body: renderSystemd(s)}, nil
	case SysV:
		u := Unit{System: system, Path: "/etc/init.d/" + s.Name, Mode: 0o755, Body: renderSysV(s)}
		for _, l := range []string{"2", "3", "4", "5"} {
			u.Links = append(u.Links, "/etc/rc"+l+".d/S50"+s.Name)
		}
		for _, l := range []string{"0", "1", "6"} {
			u.Links = append(u.Links, "/etc/rc"+l+".d/K02"+s.Name)
		}
		return u, nil
	case Launchd:
		return Unit{System: system, Path: "/Library/LaunchDaemons/" + s.Name + ".plist", Mode: 0o644, Body: renderLaunchd(s)}, nil
	}
	return Unit{}, fmt.Errorf("no service file to render for %q: use %s, %s or %s, or install on the live system", system, Systemd, SysV, Launchd)
}

// kardianosOption is the kardianos option that takes each system's custom template.
var kardianosOption = map[string]string{Systemd: "SystemdScript", SysV: "SysvScript", Launchd: "LaunchdConfig"}

func renderSystemd(s Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[Unit]\nDescription=%s\n", strings.ReplaceAll(s.Description, "%", "%%"))
	if len(s.After) > 0 {
		after := strings.Join(s.After, " ")
		fmt.Fprintf(&b, "Wants=%s\nAfter=%s\n", wanted(s.After), after)
	}
	b.WriteString("\n[Service]\nType=simple\n")
	fmt.Fprintf(&b, "ExecStart=%s\n", systemdCommand(append([]string{s.Executable}, s.Arguments()...)))
	if s.User != "" {
		fmt.Fprintf(&b, "User=%s\n", s.User)
	}
	if s.Group != "" {
		fmt.Fprintf(&b, "Group=%s\n", s.Group)
	}
	for _, k := range sortedKeys(s.Env) {
		fmt.Fprintf(&b, "Environment=%s\n", systemdQuote(k+"="+s.Env[k]))
	}
	b.WriteString(`# The local API's socket folder (/run/upkeep), made for the service's user.
RuntimeDirectory=upkeep
RuntimeDirectoryMode=0755
Restart=on-failure
RestartSec=10s
# Stop the agent only: an ERP server it started must survive the agent's restart.
KillMode=process
TimeoutStopSec=120

[Install]
WantedBy=multi-user.target
`)
	return b.String()
}

// wanted are the targets among after that the unit should pull in
// (network-online.target is only reached when something wants it).
func wanted(after []string) string {
	var out []string
	for _, a := range after {
		if strings.HasSuffix(a, ".target") {
			out = append(out, a)
		}
	}
	return strings.Join(out, " ")
}

func systemdCommand(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = systemdQuote(a)
	}
	return strings.Join(out, " ")
}

// systemdQuote quotes a word for a unit file: specifiers (%) and variable
// expansion ($) are escaped, and words with other than safe characters are
// double-quoted with C-style escapes.
func systemdQuote(s string) string {
	s = strings.NewReplacer("%", "%%", "$", "$$").Replace(s)
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:=@+,%$") == "" {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// shellQuote quotes a word for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func renderLaunchd(s Spec) string {
	var b strings.Builder
	str := func(key, v string) {
		fmt.Fprintf(&b, "\t<key>%s</key>\n\t<string>%s</string>\n", key, html.EscapeString(v))
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	str("Label", s.Name)
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, a := range append([]string{s.Executable}, s.Arguments()...) {
		fmt.Fprintf(&b, "\t\t<string>%s</string>\n", html.EscapeString(a))
	}
	b.WriteString("\t</array>\n\t<key>RunAtLoad</key>\n\t<true/>\n")
	b.WriteString("\t<key>KeepAlive</key>\n\t<dict>\n\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n")
	b.WriteString("\t<key>ExitTimeOut</key>\n\t<integer>120</integer>\n")
	if s.User != "" {
		str("UserName", s.User)
	}
	if s.Group != "" {
		str("GroupName", s.Group)
	}
	if len(s.Env) > 0 {
		b.WriteString("\t<key>EnvironmentVariables</key>\n\t<dict>\n")
		for _, k := range sortedKeys(s.Env) {
			fmt.Fprintf(&b, "\t\t<key>%s</key>\n\t\t<string>%s</string>\n", html.EscapeString(k), html.EscapeString(s.Env[k]))
		}
		b.WriteString("\t</dict>\n")
	}
	str("StandardOutPath", s.logFile())
	str("StandardErrorPath", s.logFile())
	b.WriteString("</dict>\n</plist>\n")
	return b.String()
}
