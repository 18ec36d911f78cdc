package service

import (
	"fmt"
	"strings"
)

// renderSysV writes an LSB init script that speaks kardianos's protocol:
// `status` prints "Running" or "Stopped", start and stop use a pid file.
func renderSysV(s Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, `#!/bin/sh
### BEGIN INIT INFO
# Provides:          %s
# Required-Start:    $remote_fs $syslog
# Required-Stop:     $remote_fs $syslog
# Should-Start:      %s
# Should-Stop:       %s
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: %s
# Description:       %s
### END INIT INFO

name=%s
pid_file="/var/run/$name.pid"
log=%s
`, s.Name, sysvFacilities(s.After), sysvFacilities(s.After), s.DisplayName, s.Description, s.Name, shellQuote(s.logFile()))
	for _, k := range sortedKeys(s.Env) {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(s.Env[k]))
	}
	fmt.Fprintf(&b, "\n# run replaces the shell with the agent, so $! is the agent's pid.\nrun() {\n\texec %s\n}\n", sysvCommand(s))
	b.WriteString(sysvBody)
	return b.String()
}

// sysvCommand runs the agent, as User and Group when given (setpriv execs,
// so the pid stays the agent's).
func sysvCommand(s Spec) string {
	words := make([]string, 0, 8)
	if s.User != "" || s.Group != "" {
		words = append(words, "setpriv")
		if s.User != "" {
			words = append(words, "--reuid="+shellQuote(s.User), "--init-groups")
		}
		if s.Group != "" {
			words = append(words, "--regid="+shellQuote(s.Group))
		} else if s.User != "" {
			words = append(words, "--regid="+shellQuote(s.User))
		}
		words = append(words, "--")
	}
	for _, a := range append([]string{s.Executable}, s.Arguments()...) {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

// sysvFacilities maps systemd units to LSB facilities.
func sysvFacilities(after []string) string {
	var out []string
	for _, a := range after {
		switch {
		case a == "network-online.target" || a == "network.target":
			out = append(out, "$network")
		case strings.HasSuffix(a, ".service"):
			out = append(out, strings.TrimSuffix(a, ".service"))
		}
	}
	return strings.Join(out, " ")
}

const sysvBody = `
is_running() {
	[ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

case "$1" in
	start)
		if is_running; then
			echo "Already started"
			exit 0
		fi
		echo "Starting $name"
		run >>"$log" 2>&1 &
		echo $! >"$pid_file"
		sleep 1
		if ! is_running; then
			echo "Unable to start, see $log"
			exit 1
		fi
		;;
	stop)
		if ! is_running; then
			echo "Not running"
			exit 0
		fi
		printf "Stopping %s" "$name"
		kill "$(cat "$pid_file")"
		i=0
		while is_running && [ $i -lt 120 ]; do
			printf "."
			sleep 1
			i=$((i + 1))
		done
		echo
		if is_running; then
			echo "Not stopped after 120s; it may still be finishing an apply"
			exit 1
		fi
		rm -f "$pid_file"
		echo "Stopped"
		;;
	restart)
		"$0" stop && "$0" start
		;;
	status)
		# kardianos/service reads the word and needs exit status 0 for both.
		if is_running; then
			echo "Running"
		else
			echo "Stopped"
		fi
		;;
	*)
		echo "Usage: $0 {start|stop|restart|status}"
		exit 1
		;;
esac
exit 0
`
