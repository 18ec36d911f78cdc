#!/usr/bin/env bash
# ensure-deps.sh installs the Debian packages Upkeep's build and tests need,
# and only those that are missing, then makes sure the services the tests use
# are running (scripts/ensure-services.sh). Safe to run repeatedly.
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
	# Tryton 6.0, the real ERP the agent/erp/tryton tests drive (see
	# shared/notes/tryton-6.0.md). Always --no-install-recommends: with
	# recommends this pulls ~400 packages (LibreOffice, ImageMagick, ...).
	"tryton-server trytond-admin"
	"tryton-modules-party"
	"tryton-modules-company"
	"tryton-modules-product"
	"tryton-modules-sale"
	"python3-psycopg2"           # trytond's PostgreSQL backend (only a Recommends)
	"postgresql pg_ctlcluster"   # the ERP database server (skipped when any server is installed)
	"btrfs-progs mkfs.btrfs"     # a loop-mounted btrfs for the reflink and snapshot backup tests (internal/cowfs)
	# Fyne (the tray, gui/ and cmd/upkeep-tray) builds with cgo against
	# OpenGL, X11 and Wayland headers; its tests need no display.
	"libgl1-mesa-dev"
	"libx11-dev"
	"libxcursor-dev"
	"libxrandr-dev"
	"libxinerama-dev"
	"libxi-dev"
	"libxxf86vm-dev"
	"libwayland-dev"
	"libxkbcommon-dev"
)

# is_present reports whether package $1 (providing command $2, if any) is installed.
is_present() {
	local pkg=$1 cmd=${2:-}
	if [[ $pkg == postgresql ]] && pg_server_present; then
		return 0
	fi
	if command -v dpkg-query >/dev/null 2>&1; then
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'
		return
	fi
	[[ -n $cmd ]] && command -v "$cmd" >/dev/null 2>&1
}

# pg_server_present reports whether some PostgreSQL server version is
# installed: then we use it, and never upgrade or add another through apt.
pg_server_present() {
	compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

# as_root runs its arguments as root, through sudo when we are not root.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	else
		sudo "$@"
	fi
}

# install_missing installs every DEPS package that is not installed yet.
install_missing() {
	local missing=() entry pkg cmd
	for entry in "${DEPS[@]}"; do
		read -r pkg cmd <<<"$entry"
		is_present "$pkg" "${cmd:-}" || missing+=("$pkg")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		echo "ensure-deps: all dependencies are present"
		return 0
	fi
	echo "ensure-deps: installing missing packages: ${missing[*]}"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "ensure-deps: apt-get not found; install these packages by hand: ${missing[*]}" >&2
		return 1
	fi
	local start=$SECONDS
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	echo "ensure-deps: installed in $((SECONDS - start)) s"
	if [[ " ${missing[*]} " == *" tryton-server "* ]]; then
		services_args+=(--stop-packaged-trytond)
	fi
}

services_args=()
install_missing
as_root bash "$(dirname "${BASH_SOURCE[0]}")/ensure-services.sh" "${services_args[@]}"
echo "ensure-deps: done"
