#!/usr/bin/env bash
# check-deb.sh builds the packages (package.sh), installs the .debs of upkeep,
# upkeep-tray and upkeep-repo with dpkg on this machine, checks what they put
# where, the accounts, the unit, the shipped configuration, a reinstall, then
# dpkg -r (state and configuration kept) and dpkg -P (both removed). It prints
# one line per check and exits 1 when any fails. `make check-package` runs it.
#
# Needs root and dpkg; refuses to run when an upkeep package, /etc/upkeep or
# /var/lib/upkeep is there. It leaves the machine as it found it: the packages
# purged, those folders gone, the upkeep user and groups deleted unless they
# existed before. DEBS=DIR skips the build and
# takes the .debs from DIR.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PKGS=(upkeep upkeep-tray upkeep-repo)
W=$(mktemp -d /tmp/upkeep-check-deb.XXXXXX)
trap 'rm -rf "$W"' EXIT # cleanup replaces it once preflight passes
failed=0
had_user=no had_group=no had_admin=no

ok() { echo "ok   $1"; }
bad() {
	echo "FAIL $1"
	failed=1
}

# check DESCRIPTION COMMAND...: runs COMMAND, ok when it succeeds.
check() {
	local what=$1
	shift
	if "$@" >"$W/last.out" 2>&1; then ok "$what"; else
		bad "$what"
		sed 's/^/     | /' "$W/last.out" | head -20
	fi
}

# mode_is PATH MODE OWNER:GROUP
mode_is() { [[ $(stat -c '%a %U:%G' "$1") == "$2 $3" ]] || { stat -c '%n is %a %U:%G' "$1"; return 1; }; }
listed() { dpkg -L "$1" | grep -qx "$2" || { echo "$2 is not in dpkg -L $1"; return 1; }; }
absent() { [[ ! -e $1 ]] || { echo "$1 is still there"; return 1; }; }
has() { grep -qF -- "$2" "$1" || { echo "$1 lacks: $2"; cat "$1"; return 1; }; }

cleanup() {
	for p in "${PKGS[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 && dpkg -P "$p" >/dev/null 2>&1
	done
	rm -rf /etc/upkeep /var/lib/upkeep # neither existed before (preflight)
	[[ $had_user == yes ]] || userdel upkeep 2>/dev/null
	[[ $had_group == yes ]] || groupdel upkeep 2>/dev/null
	[[ $had_admin == yes ]] || groupdel upkeep-admin 2>/dev/null
	rm -rf "$W"
}

preflight() {
	[[ $(id -u) == 0 ]] || { echo "check-deb: run as root (it installs packages with dpkg)"; exit 2; }
	command -v dpkg >/dev/null || { echo "check-deb: needs dpkg (a Debian or Ubuntu machine)"; exit 2; }
	for p in "${PKGS[@]}"; do
		if dpkg -s "$p" >/dev/null 2>&1; then
			echo "check-deb: the $p package is installed here; purge it first (dpkg -P $p)"
			exit 2
		fi
	done
	for d in /var/lib/upkeep /etc/upkeep; do
		if [[ -e $d ]]; then
			echo "check-deb: $d exists: this machine has an agent's state or configuration, which the purge would remove; move it away first"
			exit 2
		fi
	done
	getent passwd upkeep >/dev/null && had_user=yes
	getent group upkeep >/dev/null && had_group=yes
	getent group upkeep-admin >/dev/null && had_admin=yes
	trap cleanup EXIT
}

build() {
	if [[ -n ${DEBS:-} ]]; then
		OUT=$DEBS
		return
	fi
	OUT=$W/out
	if FORMATS="deb rpm" bash "$ROOT/packaging/linux/package.sh" "$OUT" >"$W/build.log" 2>&1; then
		ok "package.sh built $(cd "$OUT" && echo *.deb *.rpm | wc -w) packages (.deb and .rpm)"
	else
		bad "package.sh"
		tail -30 "$W/build.log"
		exit 1
	fi
	for p in "${PKGS[@]}"; do
		check "$p .rpm built" test -s "$(ls "$OUT/$p"-[0-9]*.rpm)"
	done
}

# check_rpms compares each .rpm with its .deb when rpm is installed (the
# .rpms are not installed here): the same files, the scripts, the conffiles.
check_rpms() {
	command -v rpm >/dev/null || { echo "skip the .rpm contents: rpm is not installed"; return; }
	local p deb rpmf
	for p in "${PKGS[@]}"; do
		deb=$(ls "$OUT/${p}"_*.deb) rpmf=$(ls "$OUT/$p"-[0-9]*.rpm)
		check "$p: the .rpm holds the .deb's files" cmp <(dpkg-deb -c "$deb" | awk '/^-/ {print substr($6, 2)}' | sort) \
			<(rpm -qplv "$rpmf" 2>/dev/null | awk '/^-/ {print $9}' | sort)
		check "$p: the .rpm's conffiles are the .deb's" cmp <(dpkg-deb -I "$deb" conffiles 2>/dev/null | sort) \
			<(rpm -qpc "$rpmf" 2>/dev/null | grep -v '^(contains no files)' | sort)
	done
	check "upkeep: the .rpm runs the same postinst" bash -c "rpm -qp --scripts '$(ls "$OUT"/upkeep-[0-9]*.rpm)' 2>/dev/null | grep -q 'systemd-sysusers /usr/lib/sysusers.d/upkeep.conf'"
}

install_debs() {
	local debs=()
	for p in "${PKGS[@]}"; do debs+=("$(ls "$OUT/${p}"_*.deb)"); done
	if dpkg -i "${debs[@]}" >"$W/install.log" 2>&1; then ok "dpkg -i ${PKGS[*]}"; else
		bad "dpkg -i"
		cat "$W/install.log"
		exit 1
	fi
	VERSION=$(dpkg-query -W -f='${Version}' upkeep)
}

check_files() {
	for f in /usr/bin/upkeep /usr/lib/systemd/system/upkeep.service /usr/lib/sysusers.d/upkeep.conf /etc/upkeep/upkeep.toml; do
		check "dpkg -L upkeep lists $f" listed upkeep "$f"
	done
	for f in /usr/bin/upkeep-tray /usr/share/applications/upkeep-tray.desktop /etc/xdg/autostart/upkeep-tray.desktop /usr/share/icons/hicolor/256x256/apps/upkeep.png; do
		check "dpkg -L upkeep-tray lists $f" listed upkeep-tray "$f"
	done
	check "dpkg -L upkeep-repo lists /usr/bin/upkeep-repo" listed upkeep-repo /usr/bin/upkeep-repo
	check "conffiles: /etc/upkeep/upkeep.toml" grep -qx /etc/upkeep/upkeep.toml /var/lib/dpkg/info/upkeep.conffiles
	check "conffiles: /etc/xdg/autostart/upkeep-tray.desktop" grep -qx /etc/xdg/autostart/upkeep-tray.desktop /var/lib/dpkg/info/upkeep-tray.conffiles
	check "/usr/bin/upkeep is 755 root:root" mode_is /usr/bin/upkeep 755 root:root
	check "/etc/upkeep/upkeep.toml is 640 root:upkeep" mode_is /etc/upkeep/upkeep.toml 640 root:upkeep
	check "/var/lib/upkeep is 750 root:upkeep" mode_is /var/lib/upkeep 750 root:upkeep
	if command -v desktop-file-validate >/dev/null; then
		check "desktop-file-validate on both entries" desktop-file-validate /usr/share/applications/upkeep-tray.desktop /etc/xdg/autostart/upkeep-tray.desktop
	else
		check "the menu entry runs upkeep-tray with icon upkeep" grep -qx 'Exec=upkeep-tray' /usr/share/applications/upkeep-tray.desktop
	fi
	check "upkeep-repo --help runs" /usr/bin/upkeep-repo --help
}

check_accounts() {
	check "getent passwd upkeep: system user, home /var/lib/upkeep, no login shell" \
		bash -c '[[ $(getent passwd upkeep | cut -d: -f3,6,7) =~ ^[0-9]+:/var/lib/upkeep:(/usr/sbin/nologin|/sbin/nologin|/bin/false)$ ]] && (( $(id -u upkeep) < 1000 ))'
	check "getent group upkeep" getent group upkeep
	check "getent group upkeep-admin" getent group upkeep-admin
}

check_unit() {
	local u=/usr/lib/systemd/system/upkeep.service
	/usr/bin/upkeep service install --root "$W/render" --system linux-systemd --executable /usr/bin/upkeep \
		--config /etc/upkeep/upkeep.toml >/dev/null
	check "the unit is what 'upkeep service install' renders" cmp "$u" "$W/render/etc/systemd/system/upkeep.service"
	check "the unit runs 'upkeep run --config /etc/upkeep/upkeep.toml'" has "$u" "ExecStart=/usr/bin/upkeep run --config /etc/upkeep/upkeep.toml"
	check "the unit restarts on failure and stops only the agent" bash -c "grep -qx Restart=on-failure $u && grep -qx KillMode=process $u"
	if command -v systemd-analyze >/dev/null; then
		check "systemd-analyze verify accepts the unit" bash -c "out=\$(systemd-analyze verify $u 2>&1); echo \"\$out\"; ! grep -q upkeep.service <<<\"\$out\""
	fi
	# The shipped configuration is incomplete, so the service stays off
	# whether or not systemd runs.
	check "the unit is not enabled (configuration incomplete)" absent /etc/systemd/system/multi-user.target.wants/upkeep.service
	if [[ -d /run/systemd/system ]]; then
		check "postinst said how to enable it" has "$W/install.log" "systemctl enable --now upkeep"
	else
		check "postinst said systemd does not run" has "$W/install.log" "systemd is not running"
	fi
}

check_cli() {
	local short=$VERSION # a tag's version, else the commit at its end
	[[ $VERSION == *[~+]* ]] && short=$(sed -E 's/.*\.//; s/^g//' <<<"${VERSION##*[~+]}")
	check "upkeep --version runs and names the commit ($short)" bash -c "/usr/bin/upkeep --version | tee /dev/stderr | grep -q '$short'"
	/usr/bin/upkeep config check >"$W/cc.out" 2>&1
	check "upkeep config check on the shipped file: exit 2 (was $?)" test "$?" = 2
	check "... naming the missing ERP" has "$W/cc.out" "erp.kind is missing"
	check "a member of group upkeep reads the configuration" \
		bash -c "setpriv --reuid=nobody --regid=upkeep --clear-groups /usr/bin/upkeep config check 2>&1 | grep -q 'erp.kind is missing'"
	check "nobody else does" \
		bash -c "setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/upkeep config check 2>&1 | grep -q 'permission denied'"
	{
		cat /etc/upkeep/upkeep.toml
		printf '\n[erp]\nkind = "demo"\n[erp.demo]\ndir = "/srv/demo-erp"\n'
		printf '[repository]\nurl = "https://cr.example.com"\ntrusted_root = "/etc/upkeep/root.json"\n'
	} >"$W/filled.toml"
	check "the shipped file with [erp] and [repository] filled in passes upkeep config check" \
		/usr/bin/upkeep config check --config "$W/filled.toml"
}

check_reinstall() {
	echo "# edited by check-deb" >>/etc/upkeep/upkeep.toml
	check "dpkg -i again (an upgrade in place)" dpkg -i "$(ls "$OUT"/upkeep_*.deb)"
	check "the edited configuration is kept" has /etc/upkeep/upkeep.toml "# edited by check-deb"
}

check_remove() {
	touch /var/lib/upkeep/state.db
	echo '{}' >/etc/upkeep/root.json
	check "dpkg -r ${PKGS[*]}" dpkg -r "${PKGS[@]}"
	for f in /usr/bin/upkeep /usr/bin/upkeep-tray /usr/bin/upkeep-repo /usr/lib/systemd/system/upkeep.service /usr/share/applications/upkeep-tray.desktop; do
		check "removed: $f" absent "$f"
	done
	check "kept on remove: the state (/var/lib/upkeep/state.db)" test -f /var/lib/upkeep/state.db
	check "kept on remove: /etc/upkeep/upkeep.toml" test -f /etc/upkeep/upkeep.toml
	check "kept on remove: the upkeep user" getent passwd upkeep
	check "dpkg -P ${PKGS[*]}" dpkg -P "${PKGS[@]}"
	for f in /var/lib/upkeep /etc/upkeep/upkeep.toml /etc/xdg/autostart/upkeep-tray.desktop; do
		check "removed on purge: $f" absent "$f"
	done
	check "kept on purge: a file the admin put in /etc/upkeep" test -f /etc/upkeep/root.json
	check "dpkg knows none of the packages any more" bash -c "! dpkg -s ${PKGS[*]} 2>/dev/null | grep -q '^Status: install'"
}

main() {
	preflight
	build
	check_rpms
	install_debs
	check_files
	check_accounts
	check_unit
	check_cli
	check_reinstall
	check_remove
	if ((failed)); then
		echo "check-deb: FAILED"
		exit 1
	fi
	echo "check-deb: all checks passed"
}

main "$@"
