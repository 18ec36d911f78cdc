#!/bin/sh
# postinst of the upkeep package. deb: $1 = configure, $2 = the version
# upgraded from (empty on a first install); rpm: $1 = 1 (install) or 2 (upgrade).
set -e

conf=/etc/upkeep/upkeep.toml
state=/var/lib/upkeep

# accounts creates the upkeep user and group and the upkeep-admin group.
accounts() {
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers /usr/lib/sysusers.d/upkeep.conf
		return
	fi
	getent group upkeep >/dev/null || groupadd --system upkeep
	getent group upkeep-admin >/dev/null || groupadd --system upkeep-admin
	getent passwd upkeep >/dev/null || useradd --system --gid upkeep --home-dir "$state" \
		--no-create-home --shell /usr/sbin/nologin --comment "Upkeep agent" upkeep
}

# files gives the state folder and the configuration their owners: the
# agent runs as root; the upkeep group may read both.
files() {
	[ -d "$state" ] || install -d -o root -g upkeep -m 0750 "$state"
	# Only as unpacked (group root): an admin's own choice of group stays.
	if [ -f "$conf" ] && [ "$(stat -c %G "$conf")" = root ]; then
		chgrp upkeep "$conf"
		chmod 0640 "$conf"
	fi
}

# service enables and starts the unit on a first install, and restarts it
# on an upgrade, when systemd runs and the configuration is complete.
service() {
	[ -d /run/systemd/system ] || return 0
	systemctl daemon-reload
	if ! /usr/bin/upkeep config check --config "$conf" >/dev/null 2>&1; then
		echo "upkeep: $conf is not complete yet (see 'upkeep config check'); the service stays off."
		echo "upkeep: fill in [erp] and [repository], then: systemctl enable --now upkeep"
		return 0
	fi
	if [ "$upgrade" = yes ]; then
		systemctl try-restart upkeep.service
	else
		systemctl enable --now upkeep.service
	fi
}

upgrade=no
case "$1" in
configure) [ -z "$2" ] || upgrade=yes ;;
2) upgrade=yes ;;
1) ;;
*) exit 0 ;;
esac

accounts
files
service
if [ ! -d /run/systemd/system ]; then
	echo "upkeep: systemd is not running: the unit is installed but not enabled; on a SysV host run 'upkeep service install'."
fi
exit 0
