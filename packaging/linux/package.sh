#!/usr/bin/env bash
# package.sh builds Upkeep's Linux packages with nfpm, a .deb and an .rpm of each:
#   upkeep       the agent and CLI, its systemd unit, /etc/upkeep/upkeep.toml, the accounts
#   upkeep-tray  the tray app, its desktop and autostart entries, its icon
#   upkeep-repo  the central repository (the module vendor's server)
# into OUT (default bin/packages). `make package` runs it.
#
# The unit is not a file of this folder: the built upkeep renders it
# (`upkeep service install --root`), so it is the unit `upkeep service install`
# writes, byte for byte. The binaries are built for this machine's GOARCH with
# cgo (go-sqlite3, Fyne), -trimpath and the VCS stamp that `upkeep --version`
# and the local API's status report (runtime/debug build info).
#
# Environment: VERSION (default: from git, e.g. 1.2.0, 1.2.0+3.g1a2b3c4, or
# 0.0.0~git20260101.1a2b3c4 before the first v* tag), PACKAGES (default
# "upkeep upkeep-tray upkeep-repo"), FORMATS (default "deb rpm"), NFPM (an
# nfpm binary; default: nfpm NFPM_VERSION built with `go install` into a
# temporary folder, not added to go.mod).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/packaging/linux
OUT=${1:-$ROOT/bin/packages}
# v2.46 and later need go.digitalxero.dev modules that proxy.golang.org does not serve.
NFPM_VERSION=${NFPM_VERSION:-v2.45.2}
PACKAGES=${PACKAGES:-upkeep upkeep-tray upkeep-repo}
FORMATS=${FORMATS:-deb rpm}
export PATH=$PATH:/usr/local/go/bin
W=$(mktemp -d /tmp/upkeep-pkg.XXXXXX)
trap 'rm -rf "$W"' EXIT
STAGE=$W/stage

# version is the package version: the v* tag, with the commits since it and
# the commit when HEAD is not tagged; before any tag, 0.0.0~git<date>.<commit>.
version() {
	if [[ -n ${VERSION:-} ]]; then
		echo "$VERSION"
		return
	fi
	local d
	if d=$(git -C "$ROOT" describe --tags --match 'v[0-9]*' 2>/dev/null); then
		d=${d#v}
		[[ $d == *-*-g* ]] && d=$(sed -E 's/-([0-9]+)-(g[0-9a-f]+)$/+\1.\2/' <<<"$d")
		echo "$d"
		return
	fi
	echo "0.0.0~git$(git -C "$ROOT" log -1 --format=%cd --date=format:%Y%m%d).$(git -C "$ROOT" rev-parse --short=7 HEAD)"
}

nfpm_cli() {
	if [[ -n ${NFPM:-} ]]; then
		echo "$NFPM"
		return
	fi
	(cd "$W" && GOFLAGS= GOBIN=$W/tools go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION" >&2)
	echo "$W/tools/nfpm"
}

# build compiles the commands the packages need into STAGE.
build() {
	local cmds=()
	for p in $PACKAGES; do cmds+=("./cmd/$p"); done
	echo "package: building ${cmds[*]}" >&2
	# -buildvcs=auto overrides a GOFLAGS=-buildvcs=false: the version comes from the VCS stamp.
	(cd "$ROOT" && CGO_ENABLED=1 go build -tags no_emoji -trimpath -buildvcs=auto -ldflags='-s -w' -o "$STAGE/" "${cmds[@]}")
}

# stage copies the packaging files next to the binaries and renders the unit.
stage() {
	cp "$HERE"/nfpm-*.yaml "$HERE/upkeep.toml" "$HERE/upkeep.sysusers" "$HERE"/*.desktop "$ROOT/packaging/icon.png" "$STAGE/"
	cp -r "$HERE/scripts" "$STAGE/"
	if [[ " $PACKAGES " == *" upkeep "* ]]; then
		"$STAGE/upkeep" service install --root "$W/root" --system linux-systemd \
			--executable /usr/bin/upkeep --config /etc/upkeep/upkeep.toml >&2
		cp "$W/root/etc/systemd/system/upkeep.service" "$STAGE/upkeep.service"
	fi
}

main() {
	local v arch nfpm
	v=$(version)
	arch=$(go env GOARCH)
	nfpm=$(nfpm_cli)
	mkdir -p "$STAGE" "$OUT"
	build
	stage
	for p in $PACKAGES; do
		for f in $FORMATS; do
			(cd "$STAGE" && VERSION=$v ARCH=$arch "$nfpm" package --config "nfpm-$p.yaml" --packager "$f" --target "$OUT/" >&2)
		done
	done
	echo "package: version $v, in $OUT:" >&2
	for p in $PACKAGES; do
		ls "$OUT/${p}_${v}_"*.deb "$OUT/$p-${v}-"*.rpm 2>/dev/null || true
	done
}

main "$@"
