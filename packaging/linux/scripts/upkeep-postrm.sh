#!/bin/sh
# postrm of the upkeep package. deb: $1 = remove keeps the state, purge
# removes it (dpkg removes the conffile itself); rpm: $1 = 0 on erase, which
# keeps the state (rpm has no purge: remove /var/lib/upkeep by hand).
set -e

case "$1" in
remove | purge | 0) ;;
*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
if [ "$1" = purge ]; then
	rm -rf /var/lib/upkeep
	# Only when empty: root.json, tokens and passwords an admin put there stay.
	rmdir /etc/upkeep 2>/dev/null || true
	# The upkeep user and groups stay, as Debian's policy asks: files may
	# still be owned by them (userdel upkeep; groupdel upkeep-admin).
fi
exit 0
