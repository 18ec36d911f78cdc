#!/usr/bin/env bash
# ensure-services.sh makes sure the services Upkeep's tests use are in the
# state the tests expect, without installing anything (ensure-deps.sh does
# that, then calls this):
#   - PostgreSQL, when installed, accepts connections on 127.0.0.1:5432: a
#     running server is used as it is; a stopped cluster is started and waited
#     for (bounded by PG_WAIT seconds).
#   - with --stop-packaged-trytond (ensure-deps.sh passes it when it has just
#     installed tryton-server): the trytond services that the package's
#     postinst starts on a host with systemd (port 8000,
#     /etc/tryton/trytond.conf) are stopped and disabled. The tests start no
#     server there and need no port 8000. Without the flag, a trytond service
#     someone runs on purpose is left alone.
# Run as root (ensure-deps.sh runs it through sudo when needed). Safe to repeat.
set -euo pipefail

PG_PORT=${PG_PORT:-5432} # the port the tests connect to, on 127.0.0.1
PG_WAIT=${PG_WAIT:-60}   # seconds to wait for PostgreSQL to accept connections

# start_pg makes PostgreSQL accept connections on 127.0.0.1:PG_PORT: a server
# already there is used as it is; else the cluster configured for that port
# is started (pg_ctlcluster, as this machine's docs say), then waited for.
# Other clusters are left alone.
start_pg() {
	if ! command -v pg_lsclusters >/dev/null 2>&1; then
		echo "ensure-services: PostgreSQL is not installed; skipping it"
		return 0
	fi
	if pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2; then
		echo "ensure-services: PostgreSQL accepts connections on 127.0.0.1:$PG_PORT"
		return 0
	fi
	local ver name
	read -r ver name < <(pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p {print $1, $2; exit}') || true
	if [[ -z ${ver:-} ]]; then
		echo "ensure-services: no PostgreSQL cluster uses port $PG_PORT (pg_lsclusters); create one: pg_createcluster --port $PG_PORT --start VERSION main" >&2
		return 1
	fi
	echo "ensure-services: starting PostgreSQL cluster $ver/$name (port $PG_PORT)"
	pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true # "already running" is fine: we wait below
	wait_pg "$ver/$name"
}

# wait_pg waits up to PG_WAIT seconds for PostgreSQL to accept connections.
wait_pg() {
	local deadline=$((SECONDS + PG_WAIT))
	until pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 2; do
		if ((SECONDS >= deadline)); then
			echo "ensure-services: PostgreSQL $1 does not accept connections on 127.0.0.1:$PG_PORT after ${PG_WAIT} s; see pg_lsclusters and /var/log/postgresql/" >&2
			return 1
		fi
		sleep 0.5
	done
	echo "ensure-services: PostgreSQL $1 accepts connections on 127.0.0.1:$PG_PORT"
}

# stop_packaged_trytond stops (and, under systemd, disables) the system
# services of Debian's tryton-server package if its postinst started them (it
# does on hosts with systemd; a policy-rc.d that denies it, as in containers,
# leaves them stopped).
stop_packaged_trytond() {
	[[ -e /etc/init.d/tryton-server || -e /lib/systemd/system/tryton-server.service ]] || return 0
	if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
		if systemctl is-active --quiet tryton-server || systemctl is-enabled --quiet tryton-server 2>/dev/null; then
			echo "ensure-services: stopping and disabling the packaged tryton-server service"
			systemctl disable --now tryton-server
		fi
		systemctl stop 'tryton-server-cron@*' 'tryton-server-worker@*' 2>/dev/null || true
		return 0
	fi
	local svc
	for svc in tryton-server tryton-server-cron tryton-server-worker; do
		if [[ -x /etc/init.d/$svc ]] && /etc/init.d/$svc status >/dev/null 2>&1; then
			echo "ensure-services: stopping the packaged $svc service"
			/etc/init.d/$svc stop
		fi
	done
}

start_pg
if [[ ${1:-} == --stop-packaged-trytond ]]; then
	stop_packaged_trytond
fi
