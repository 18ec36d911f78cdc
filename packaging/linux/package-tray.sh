#!/usr/bin/env bash
# package-tray.sh builds upkeep-tray and packs it with `fyne package -os linux`
# (FyneApp.toml at the repository root gives the id, name, version and icon)
# into bin/Upkeep.tar.xz: the binary, the desktop entry, the icon and a
# Makefile (`sudo make install` in the unpacked folder).
#
# The fyne CLI is `fyne` on PATH or $FYNE; without either, the one in the
# pinned fyne.io/fyne/v2 module (cmd/fyne) is built into a temporary folder.
# `fyne package` rewrites FyneApp.toml (it counts builds), so it runs on a copy.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH=$PATH:/usr/local/go/bin
W=$(mktemp -d /tmp/upkeep-tray-pkg.XXXXXX)
trap 'rm -rf "$W"' EXIT

fyne_cli() {
	if [[ -n ${FYNE:-} ]]; then
		echo "$FYNE"
	elif command -v fyne >/dev/null 2>&1; then
		command -v fyne
	else
		local v
		v=$(cd "$ROOT" && go list -m -f '{{.Version}}' fyne.io/fyne/v2)
		mkdir -p "$W/cli"
		printf 'module fynecli\n\ngo 1.26\n\nrequire fyne.io/fyne/v2 %s\n' "$v" >"$W/cli/go.mod"
		printf '//go:build tools\n\npackage tools\n\nimport _ "fyne.io/fyne/v2/cmd/fyne"\n' >"$W/cli/tools.go"
		(cd "$W/cli" && go mod tidy >&2 && go build -o "$W/fyne" fyne.io/fyne/v2/cmd/fyne)
		echo "$W/fyne"
	fi
}

main() {
	local cli
	cli=$(fyne_cli)
	mkdir -p "$W/src/packaging" "$ROOT/bin"
	(cd "$ROOT" && go build -tags no_emoji -trimpath -o "$W/src/upkeep-tray" ./cmd/upkeep-tray)
	cp "$ROOT/FyneApp.toml" "$W/src/"
	cp "$ROOT/packaging/icon.png" "$W/src/packaging/"
	(cd "$W/src" && "$cli" package -os linux -executable upkeep-tray 2>&1 | grep -v -i 'deprecated\|fyne.io/tools\|can be installed' || true)
	mv "$W/src/Upkeep.tar.xz" "$ROOT/bin/Upkeep.tar.xz"
	echo "package-tray: $ROOT/bin/Upkeep.tar.xz"
	tar -tJf "$ROOT/bin/Upkeep.tar.xz"
}

main "$@"
