#!/usr/bin/env bash
# ensure-deps.sh installs the Debian packages Upkeep's build and tests need,
# and only those that are missing. Safe to run repeatedly.
#
# Add a package by appending one "PACKAGE [COMMAND]" line to DEPS; COMMAND is
# the program it provides, used to check for it where dpkg is not available.
set -euo pipefail

DEPS=(
	"gcc gcc"                    # cgo: mattn/go-sqlite3, go test -race
	"libc6-dev"                  # cgo headers
	"make make"                  # the Makefile
	"git git"                    # go's VCS stamping and module fetches
	"sqlite3 sqlite3"            # inspecting state databases in tests and by hand
	"ca-certificates"            # HTTPS to the Go module proxy
)

# is_present reports whether package $1 (providing command $2, if any) is installed.
is_present() {
	local pkg=$1 cmd=${2:-}
	if command -v dpkg-query >/dev/null 2>&1; then
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'
		return
	fi
	[[ -n $cmd ]] && command -v "$cmd" >/dev/null 2>&1
}

# as_root runs its arguments as root, through sudo when we are not root.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	else
		sudo "$@"
	fi
}

missing=()
for entry in "${DEPS[@]}"; do
	read -r pkg cmd <<<"$entry"
	is_present "$pkg" "${cmd:-}" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
	echo "ensure-deps: all dependencies are present"
	exit 0
fi

echo "ensure-deps: installing missing packages: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
	echo "ensure-deps: apt-get not found; install these packages by hand: ${missing[*]}" >&2
	exit 1
fi
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "ensure-deps: done"
