#!/bin/sh
# A stand-in for an OpenERP-style ERP's own update ("odoo-bin -u"), used by
# the command adapter's PostgreSQL tests: for each module it runs the
# folder's upgrade.sql, if any, and records the manifest's version in
# ir_module_module, one psql transaction per module.
#   odoo-update.sh [-u all|MODULES] [-i MODULES] [--disable MODULES]
set -eu
update= install= disable=
while [ $# -gt 0 ]; do
	case $1 in
	-u) update=$2; shift 2 ;;
	-i) install=$2; shift 2 ;;
	--disable) disable=$2; shift 2 ;;
	*) echo "odoo-update: unknown argument $1" >&2; exit 2 ;;
	esac
done
series=16.0

sql() { psql "$UPKEEP_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 --single-transaction "$@"; }

# version MODULE: its manifest's version, with the series in front as Odoo does.
version() {
	f=$UPKEEP_MODULES_DIR/$1/__manifest__.py
	[ -f "$f" ] || f=$UPKEEP_MODULES_DIR/$1/__openerp__.py
	v=$(sed -n "s/.*'version': *'\([^']*\)'.*/\1/p" "$f")
	case $v in
	"$series".*) echo "$v" ;;
	*) echo "$series.${v:-1.0}" ;;
	esac
}

# migrate MODULE: run its upgrade.sql and record its version, in one transaction.
migrate() {
	v=$(version "$1")
	echo "odoo-update: $1 -> $v"
	{
		if [ -f "$UPKEEP_MODULES_DIR/$1/upgrade.sql" ]; then cat "$UPKEEP_MODULES_DIR/$1/upgrade.sql"; fi
		echo "INSERT INTO ir_module_module (name, state, latest_version) VALUES ('$1', 'installed', '$v')
			ON CONFLICT (name) DO UPDATE SET state = 'installed', latest_version = excluded.latest_version;"
	} | sql -f - || { echo "odoo-update: the update of module $1 failed" >&2; exit 1; }
}

for m in $(echo "$disable" | tr , ' '); do
	sql -c "UPDATE ir_module_module SET state = 'uninstalled' WHERE name = '$m'"
	echo "odoo-update: $m disabled"
done
if [ "$update" = all ]; then
	update=$(sql -A -t -c "SELECT string_agg(name, ',' ORDER BY name) FROM ir_module_module WHERE state = 'installed'")
fi
for m in $(echo "$update,$install" | tr , ' '); do
	migrate "$m"
done
