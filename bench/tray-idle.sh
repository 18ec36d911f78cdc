#!/usr/bin/env bash
# tray-idle.sh measures the real tray (cmd/upkeep-tray) under Xvfb against
# a running demo agent (`upkeep demo --serve`), against issue 6's targets:
#   - start to first painted window (the screen stops being black): < 1 s;
#   - after IDLE seconds connected to the agent, with the window closed (the
#     tray's usual state) and with it open: resident memory < 80 MB and no
#     measurable CPU (utime+stime unchanged over 60 s, < 0.1 s per 10 min).
# Then it closes the window (SIGTERM to the window process, which ends as
# on a click on its close box) and checks the tray goes on.
#
#   bench/tray-idle.sh                 # IDLE=600 (10 minutes)
#   IDLE=60 bench/tray-idle.sh         # a quicker look
#   TAGS= bench/tray-idle.sh           # build without the default no_emoji tag
#   KEEP=1 bench/tray-idle.sh          # keep the work folder (logs, demo)
#   UPKEEP=path/to/upkeep bench/tray-idle.sh   # the demo agent from that program
#
# Needs Go, the Fyne build packages (scripts/ensure-deps.sh), and xvfb, xauth,
# imagemagick and dbus, which it installs when missing. Under Xvfb, OpenGL is
# Mesa's llvmpipe (software): the window process's figures include it (libLLVM,
# its heap and threads), which a desktop with a GPU driver does not pay.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
IDLE=${IDLE:-600}
TAGS=${TAGS-no_emoji}
SIZE=1100x720
export PATH=$PATH:/usr/local/go/bin

W=$(mktemp -d /tmp/upkeep-trayidle.XXXXXX)
DEMO=
cleanup() {
	if [[ -n $DEMO ]]; then
		kill -INT "$DEMO" 2>/dev/null || true # the demo stops what it started
		wait "$DEMO" 2>/dev/null || true
	fi
	if [[ -z ${KEEP:-} ]]; then
		rm -rf "$W"
	else
		echo "tray-idle: work folder kept in $W"
	fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

# tools installs the X and image tools when missing.
tools() {
	local missing=() pair
	for pair in xvfb:xvfb-run xauth:xauth imagemagick:import dbus:dbus-run-session; do
		command -v "${pair#*:}" >/dev/null 2>&1 || missing+=("${pair%%:*}")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	echo "tray-idle: installing ${missing[*]}"
	local sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# demo starts `upkeep demo --serve` and sets SOCK to its agent's socket.
demo() {
	setsid "$W/bin/upkeep" demo --serve --dir "$W/demo" >"$W/demo.log" 2>&1 &
	DEMO=$!
	local i
	for i in $(seq 1200); do
		SOCK=$(sed -n 's/^Serving: .*, agent \(.*\)\. Press Ctrl-C.*/\1/p' "$W/demo.log")
		[[ -n $SOCK ]] && return 0
		kill -0 "$DEMO" 2>/dev/null || break
		sleep 0.1
	done
	echo "tray-idle: the demo did not start:" >&2
	tail -20 "$W/demo.log" >&2
	return 1
}

# measure is run under Xvfb and a D-Bus session: it starts a tray with its
# window open and a tray alone, and prints what they cost.
measure() {
	cat >"$W/measure.sh" <<'EOF'
set -u
BIN=$1 SOCK=$2 SIZE=$3 IDLE=$4 W=$5
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status() { awk -v k="$2:" '$1 == k {print int($2 / 1024)}' "/proc/$1/status"; }
rss_of() { awk -v pat="$2" '/^[0-9a-f]+-[0-9a-f]+ /{name=$6} /^Rss:/{if (name ~ pat) s += $2} END{print int(s / 1024)}' "/proc/$1/smaps"; }
secs() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", t / hz}'; }
start=$(date +%s%N)
"$BIN/upkeep-tray" --socket "$SOCK" --screen updates --size "$SIZE" >"$W/tray-shown.log" 2>&1 &
shown=$!
until import -window root "$W/frame.png" 2>/dev/null && [ "$(convert "$W/frame.png" -format '%[fx:mean>0.02]' info:)" = 1 ]; do
	[ $(( ($(date +%s%N) - start) / 1000000000 )) -lt 60 ] || { echo "first-paint-ms: never"; exit 1; }
done
echo "first-paint-ms: $(( ($(date +%s%N) - start) / 1000000 ))"
window=$(pgrep -P "$shown")
GODEBUG=gctrace=1 "$BIN/upkeep-tray" --socket "$SOCK" >"$W/tray-only.log" 2>&1 &
only=$!
sleep 10 # both connected and settled
o0=$(ticks $only) s0=$(ticks $shown) w0=$(ticks $window)
sleep "$IDLE"
o1=$(ticks $only) s1=$(ticks $shown) w1=$(ticks $window)
sleep 60
o2=$(ticks $only) s2=$(ticks $shown) w2=$(ticks $window)
for p in only:$only shown:$shown window:$window; do
	n=${p%%:*} pid=${p#*:}
	echo "$n-rss-mib: $(status $pid VmRSS) anon $(status $pid RssAnon) file $(status $pid RssFile) threads $(awk '$1 == "Threads:" {print $2}' /proc/$pid/status)"
done
echo "window-parts-mib: libLLVM $(rss_of $window libLLVM) dri $(rss_of $window '/dri/') c-heap $(rss_of $window '^.heap]$') program $(rss_of $window 'upkeep-tray$')"
echo "only-go-heap: $(grep '^gc ' "$W/tray-only.log" | tail -1 | grep -o '[0-9]*->[0-9]*->[0-9]* MB, [0-9]* MB goal')"
echo "only-cpu: idle $(secs $((o1 - o0))) s, last 60 s $((o2 - o1)) ticks"
echo "shown-cpu: idle $(secs $((s1 - s0))) s, last 60 s $((s2 - s1)) ticks"
echo "window-cpu: idle $(secs $((w1 - w0))) s, last 60 s $((w2 - w1)) ticks"
kill -TERM "$window" # the window closes: its process ends, the tray goes on
for i in $(seq 100); do kill -0 "$window" 2>/dev/null || break; sleep 0.1; done
sleep 2
if kill -0 "$window" 2>/dev/null; then echo "after-close: the window process is still running"
elif kill -0 "$shown" 2>/dev/null; then echo "after-close: tray running, resident $(status $shown VmRSS) MiB"
else echo "after-close: the tray ended with its window"; fi
kill "$only" "$shown" 2>/dev/null
wait
EOF
	xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
		sh "$W/measure.sh" "$W/bin" "$SOCK" "$SIZE" "$IDLE" "$W" 2>/dev/null | tee "$W/figures"
}

# verdict prints one figure against its target: verdict TEXT OK.
verdict() { if [[ $2 == 1 ]]; then echo "  ok    $1"; else echo "  MISS  $1"; fi; }

report() {
	local f=$W/figures ms only_rss shown_rss win_rss only_idle only_min idle_budget
	ms=$(sed -n 's/^first-paint-ms: //p' "$f")
	only_rss=$(sed -n 's/^only-rss-mib: \([0-9]*\).*/\1/p' "$f")
	shown_rss=$(sed -n 's/^shown-rss-mib: \([0-9]*\).*/\1/p' "$f")
	win_rss=$(sed -n 's/^window-rss-mib: \([0-9]*\).*/\1/p' "$f")
	only_idle=$(sed -n 's/^only-cpu: idle \([0-9.]*\) s.*/\1/p' "$f")
	only_min=$(sed -n 's/^only-cpu: .*last 60 s \([0-9]*\) ticks/\1/p' "$f")
	idle_budget=$(awk -v i="$IDLE" 'BEGIN{printf "%.2f", 0.1 * i / 600}')
	echo
	echo "tray-idle: against the targets (idle $IDLE s, build tags '${TAGS}'):"
	verdict "start to first painted window: $ms ms (< 1000 ms)" "$([[ $ms =~ ^[0-9]+$ && $ms -lt 1000 ]] && echo 1)"
	verdict "window closed: resident $only_rss MiB (< 80 MB = 76 MiB)" "$([[ $only_rss -lt 76 ]] && echo 1)"
	verdict "window closed: CPU $only_idle s over $IDLE s (< $idle_budget s), $only_min ticks in the last 60 s (0)" \
		"$(awk -v c="$only_idle" -v b="$idle_budget" -v m="$only_min" 'BEGIN{print (c < b && m == 0) ? 1 : 0}')"
	verdict "window open: tray $shown_rss MiB + window process $win_rss MiB (< 76 MiB; see window-parts-mib)" \
		"$([[ $((shown_rss + win_rss)) -lt 76 ]] && echo 1)"
	sed -n 's/^\(shown-cpu\|window-cpu\|after-close\): /  info  \1: /p' "$f"
}

main() {
	tools
	mkdir -p "$W/bin"
	echo "tray-idle: building (tags '${TAGS}')"
	go build -tags "$TAGS" -o "$W/bin/" ./cmd/upkeep-tray
	if [[ -n ${UPKEEP:-} ]]; then
		cp "$UPKEEP" "$W/bin/upkeep"
	else
		go build -o "$W/bin/" ./cmd/upkeep
	fi
	demo
	echo "tray-idle: demo agent on $SOCK; measuring for $IDLE s + 60 s"
	measure
	report
}

main "$@"
