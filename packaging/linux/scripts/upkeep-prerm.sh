#!/bin/sh
# prerm of the upkeep package: stop and disable the service when the
# package goes away (deb: $1 = remove; rpm: $1 = 0). An upgrade keeps it
# running: the postinst restarts it on the new binary.
set -e

case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	# The agent gets TimeoutStopSec (120s) to end an apply in progress;
	# one still going is finished from its journal at the next start.
	systemctl stop upkeep.service || true
fi
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable upkeep.service >/dev/null 2>&1 || true
fi
exit 0
