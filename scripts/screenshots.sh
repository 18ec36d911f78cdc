#!/usr/bin/env bash
# screenshots.sh runs the real tray (cmd/upkeep-tray) against a real agent
# (`upkeep run`) over the demo ERP and the demo central repository, under
# Xvfb, and saves a PNG of every screen in docs/screenshots/ (or $OUT).
#
#   scripts/screenshots.sh            # every screen
#   scripts/screenshots.sh blocked    # only the screens named
#   KEEP=1 scripts/screenshots.sh     # keep the work folder (agent, ERP, logs)
#   scripts/screenshots.sh serve      # only start the agent and print its socket;
#                                     # run upkeep-tray --socket SOCKET yourself
#   scripts/screenshots.sh bench      # the tray's benchmark: runs bench/tray-idle.sh
#
# Needs: Go, the Fyne build packages (scripts/ensure-deps.sh), and xvfb,
# xauth, imagemagick, dbus and unzip, which it installs when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/docs/screenshots}
SCREENS=(updates upgrades blocked enforce installed run-failed run history settings)
SIZE=${SIZE:-1100x720}
export PATH=$PATH:/usr/local/go/bin

W=$(mktemp -d /tmp/upkeep-shots.XXXXXX)
BIN=$W/bin
PIDS=()

cleanup() {
	local pid
	[[ -f $W/run/erp.pid ]] && PIDS+=("$(cat "$W/run/erp.pid")")
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [[ -z ${KEEP:-} ]]; then
		rm -rf "$W"
	else
		echo "screenshots: work folder kept in $W"
	fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

# tools makes sure the X and image tools are installed.
tools() {
	local missing=() pair pkg cmd
	for pair in xvfb:xvfb-run xauth:xauth imagemagick:import dbus:dbus-run-session unzip:unzip; do
		pkg=${pair%%:*} cmd=${pair#*:}
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	echo "screenshots: installing ${missing[*]}"
	local sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# free_port prints a TCP port nobody listens on.
free_port() {
	local port
	for port in $(shuf -i 20000-40000 -n 50); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "screenshots: no free port found" >&2
	return 1
}

# wait_for runs "$@" until it succeeds, for at most 30 s.
wait_for() {
	local i
	for i in $(seq 300); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "screenshots: gave up waiting for: $*" >&2
	return 1
}

# repository serves the demo catalog from a real central repository.
repository() {
	PORT=$(free_port)
	"$BIN/upkeep-repo" --dir "$W/repo" serve --demo --addr "127.0.0.1:$PORT" >"$W/repo.log" 2>&1 &
	PIDS+=($!)
	wait_for curl -fsS "http://127.0.0.1:$PORT/healthz"
}

# erp creates the demo ERP instance of the story (core 2.50.20, arp 1.3.0,
# localization-es 1.2.0, reports 0.9.0) from the repository's own archives.
erp() {
	local zip manifest name version want=" core@2.50.20 arp@1.3.0 localization-es@1.2.0 reports@0.9.0 "
	mkdir -p "$W/erp/addons"
	for zip in "$W"/repo/public/archives/*.zip; do
		manifest=$(unzip -p "$zip" upkeep.toml)
		name=$(sed -n 's/^name = "\(.*\)"$/\1/p' <<<"$manifest")
		version=$(sed -n 's/^version = "\(.*\)"$/\1/p' <<<"$manifest")
		if [[ $want == *" $name@$version "* ]]; then
			unzip -q "$zip" -d "$W/erp/addons/$name"
		fi
	done
	"$BIN/demo-erp" --dir "$W/erp" init >"$W/erp-init.log"
}

# agent writes the agent's configuration and runs it in the foreground.
agent() {
	SOCK=$W/run/upkeep.sock
	ERP_PORT=$(free_port)
	mkdir -p "$W/run"
	local serve="\"$BIN/demo-erp\", \"--dir\", \"$W/erp\", \"serve\", \"--addr\", \"127.0.0.1:$ERP_PORT\", \"--pidfile\", \"$W/run/erp.pid\""
	cat >"$W/upkeep.toml" <<EOF
[erp]
kind = "demo"
[erp.demo]
dir = "$W/erp"
url = "http://127.0.0.1:$ERP_PORT"
command = ["$BIN/demo-erp"]
[erp.server]
pidfile = "$W/run/erp.pid"
start = [$serve]
[repository]
url = "http://127.0.0.1:$PORT"
trusted_root = "$W/repo/root.json"
[apply]
health_timeout = "5s"
[state]
dir = "$W/state"
[api]
socket = "$SOCK"
[schedule]
every = "6h"
windows = ["Sat 02:00-04:00"]
[schedule.policy]
patches = "apply"
require_rehearsal = true
EOF
	# Detached (setsid), as the agent starts it: a child of this script would
	# linger as a zombie when the agent stops it, and look alive.
	setsid -f "$BIN/demo-erp" --dir "$W/erp" serve --addr "127.0.0.1:$ERP_PORT" --pidfile "$W/run/erp.pid" >"$W/erp.log" 2>&1
	wait_for curl -fsS "http://127.0.0.1:$ERP_PORT/health"
	"$BIN/upkeep" --config "$W/upkeep.toml" run >"$W/agent.log" 2>&1 &
	PIDS+=($!)
	wait_for test -S "$SOCK"
}

# api calls the agent's local API: api METHOD PATH [JSON-BODY].
api() {
	local args=(-fsS --unix-socket "$SOCK" -X "$1")
	[[ $# -gt 2 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
	curl "${args[@]}" "http://agent$2"
}

# field prints one top-level field of the JSON document on stdin.
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# start_run applies the agent's default plan through the local API and
# waits for the run to end, so that the Run and History screens show it.
# An agent that does not offer applies through the service answers
# not_available, and the screens say so.
start_run() {
	local hash run id state i
	hash=$(api GET /v1/plan | field hash)
	if ! run=$(api POST /v1/apply "{\"plan_hash\":\"$hash\",\"plan\":{}}" 2>&1); then
		echo "screenshots: apply: $run"
		return 0
	fi
	id=$(field id <<<"$run")
	for i in $(seq 600); do
		state=$(api GET "/v1/runs/$id" | field state)
		[[ $state != running && $state != restoring ]] && break
		sleep 0.1
	done
	echo "screenshots: apply run $id: $state"
}

# with_settings replaces the agent's configuration through the local API
# (the agent uses it at once): with_settings TOML.
with_settings() {
	local rev body
	rev=$(api GET /v1/settings | field revision)
	body=$(python3 -c 'import json,sys; print(json.dumps({"revision": sys.argv[1], "toml": sys.argv[2]}))' "$rev" "$1")
	api PUT /v1/settings "$body" >/dev/null
}

# fail_run makes an apply fail after the update, for real: a health check
# that holds only while arp is 1.3.0 passes the preflight and fails after
# the update, so the agent restores the instance. The check is removed after.
fail_run() {
	local orig
	orig=$(api GET /v1/settings | field toml)
	with_settings "$orig
[[erp.health]]
name = \"arp is still 1.3.0\"
sql = \"SELECT latest_version FROM ir_module_module WHERE name = 'arp'\"
expect = \"1.3.0\"
"
	start_run
	with_settings "$orig"
}

# shoot opens the tray on one screen under a fresh Xvfb and saves its
# picture: shoot SCREEN [NAME].
shoot() {
	local screen=$1 name=${2:-$1}
	xvfb-run -a -s "-screen 0 ${SIZE}x24" dbus-run-session -- sh -c \
		"'$BIN/upkeep-tray' --socket '$SOCK' --screen '$screen' --size '$SIZE' >'$W/tray-$name.log' 2>&1 & pid=\$!; sleep ${DELAY:-4}; import -window root '$OUT/$name.png'; kill \$pid"
	echo "screenshots: $OUT/$name.png"
}

main() {
	[[ $# -gt 0 ]] && SCREENS=("$@")
	if [[ ${SCREENS[0]} == bench ]]; then
		"$ROOT/bench/tray-idle.sh"
		return
	fi
	tools
	mkdir -p "$OUT" "$BIN"
	(cd "$ROOT" && go build -o "$BIN/" ./cmd/upkeep ./cmd/upkeep-repo ./cmd/demo-erp &&
		go build -tags no_emoji -o "$BIN/" ./cmd/upkeep-tray) # no_emoji: see bench/README.md, the tray's footprint
	repository
	erp
	agent
	"$BIN/upkeep" --config "$W/upkeep.toml" scan >"$W/scan.txt" || true
	if [[ ${SCREENS[0]} == serve ]]; then
		echo "screenshots: the agent listens on $SOCK (config $W/upkeep.toml); Ctrl-C stops it"
		wait "${PIDS[@]}"
		return
	fi
	local s
	for s in "${SCREENS[@]}"; do
		case $s in
		run-failed) fail_run && shoot run run-failed ;;
		run) start_run && shoot run ;;
		*) shoot "$s" ;;
		esac
	done
}

main "$@"
