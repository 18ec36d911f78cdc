#!/usr/bin/env bash
# The same decision two ways: agent/scan (bench/scanbench) and apt's solver
# (apt-get -s dist-upgrade), on the same synthetic catalog (20,000 modules,
# 200,000 versions, series 2.50/3.0/3.1 plus a private repository) and the
# same instance (400 installed modules on core 2.50.10, 30 blocked).
#
# scanbench writes the catalog as a Debian Packages file and the instance as
# a dpkg status file (held modules as "hold ok installed"); our dotted
# versions are valid Debian versions, and each dependency becomes ">=" its
# first version plus "<<" (or "<=") the upper bound its enforcement implies.
# apt runs with private directories only (APT_CONFIG points at a generated
# apt.conf): the Packages file is placed directly as the list file apt
# expects, so no `apt-get update` runs. Prints both medians and the ratio.
#   bench/apt-compare.sh [RUNS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${1:-5}
export PATH=$PATH:/usr/local/go/bin

command -v apt-get >/dev/null || { echo "apt-compare: apt-get is not installed; run this on a Debian or Ubuntu host" >&2; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

echo "== generating the catalog and the instance, timing agent/scan (bench/scanbench)"
go build -o "$W/scanbench" ./bench/scanbench
"$W/scanbench" -runs 30 -apt "$W/data" | tee "$W/scanbench.out" | sed 's/^/  /'
SCAN_MS=$(sed -n 's/^scan-median-ms: //p' "$W/scanbench.out")

mkdir -p "$W/repo" "$W/lists/partial" "$W/cache/archives/partial" "$W/state" \
	"$W/etc/apt.conf.d" "$W/etc/sources.list.d" "$W/etc/preferences.d" "$W/etc/trusted.gpg.d"
touch "$W/state/extended_states"
echo "deb [trusted=yes] file:$W/repo ./" >"$W/etc/sources.list"
cat >"$W/etc/apt.conf" <<CONF
Dir::Etc::Main "$W/etc/apt.conf";
Dir::Etc::Parts "$W/etc/apt.conf.d";
Dir::Etc::SourceList "$W/etc/sources.list";
Dir::Etc::SourceParts "$W/etc/sources.list.d";
Dir::Etc::Preferences "$W/etc/preferences";
Dir::Etc::PreferencesParts "$W/etc/preferences.d";
Dir::Etc::TrustedParts "$W/etc/trusted.gpg.d";
Dir::State "$W/state";
Dir::State::status "$W/data/status";
Dir::State::Lists "$W/lists";
Dir::Cache "$W/cache";
Debug::NoLocking "true";
APT::Architecture "amd64";
CONF
export APT_CONFIG="$W/etc/apt.conf"

# Place the Packages file under the name apt expects for the source (apt
# names it; a flat file: repository has no Release file, hence --no-release-info).
LIST=$(apt-get indextargets --no-release-info --format '$(FILENAME)' 'Identifier: Packages')
cp "$W/data/Packages" "$LIST"
apt-cache policy core >"$W/policy.out" 2>&1
if ! grep -q "file:$W/repo" "$W/policy.out"; then
	echo "apt-compare: apt does not see $LIST; apt-cache policy core says:" >&2
	head -20 "$W/policy.out" >&2
	exit 1
fi
echo "== apt sees the catalog: core $(sed -n 's/^ *\(Installed: .*\)/\1/p' "$W/policy.out"), $(sed -n 's/^ *\(Candidate: .*\)/\1/p' "$W/policy.out") ($(grep -c '^Package:' "$W/data/Packages") versions in $(basename "$LIST"))"

now() { date +%s%N; }
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }

# median_ms RUNS CMD... times CMD (output to $W/apt.out) and prints the median in ms.
median_ms() {
	local runs=$1 t0
	shift
	local times=()
	for _ in $(seq "$runs"); do
		t0=$(now)
		"$@" >"$W/apt.out" 2>&1
		times+=($(($(now) - t0)))
	done
	ms "$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
}

rm -f "$W/cache/"*.bin # apt-cache policy built it; time a cold first run
t0=$(now)
apt-get -s dist-upgrade >"$W/apt.out" 2>&1
COLD=$(($(now) - t0))
UPGRADE_MS=$(median_ms "$RUNS" apt-get -s upgrade)
UPGRADE_DECISION=$(grep -E 'upgraded, .* newly installed' "$W/apt.out")
APT_MS=$(median_ms "$RUNS" apt-get -s dist-upgrade)

echo "== apt-get -s dist-upgrade"
echo "  decision: $(grep -E 'upgraded, .* newly installed' "$W/apt.out")"
echo "  core: $(grep -E '^Inst core ' "$W/apt.out" || echo 'not changed')"
echo "  removed: $(grep -c '^Remv ' "$W/apt.out" || true) ($(grep '^Remv ' "$W/apt.out" | awk '{print $2}' | paste -sd, - | cut -c1-120)...)"
echo "  first run (builds apt's binary cache): $(ms "$COLD") ms; median of $RUNS runs with the cache: $APT_MS ms"
echo "  for reference, apt-get -s upgrade (no new packages, no removals): median $UPGRADE_MS ms; $UPGRADE_DECISION"

echo "== result"
echo "  agent/scan, index + scan, median: $SCAN_MS ms"
echo "  apt-get -s dist-upgrade, median:  $APT_MS ms"
awk -v a="$APT_MS" -v s="$SCAN_MS" 'BEGIN { printf "  ratio apt / scan: %.1fx (the scan is %s)\n", a / s, (a > s ? "faster" : "slower") }'

cat <<'DIFF'
== what differs between the two problems (apt cannot express all of ours)
  - The questions: apt computes one solution (the newest candidate of every
    package, then its resolver fixes what breaks). The scan classifies every
    newer version of every installed module (patch, update, upgrade, notice,
    not applicable), explains each blocked one, and computes a smallest set
    of modules to disable for each; it answers thousands of questions.
  - New packages: dist-upgrade installs new packages to satisfy new
    dependencies ("newly installed" above). The scan never installs a module
    that was not requested: such a version is "not applicable" with the
    reason "request it too (--install …)".
  - Removals: dist-upgrade removes blockers on its own ("Remv" above). The
    scan reports the smallest disable set and disables only when asked
    (plan --disable-blockers).
  - upgrade_from: Debian has no such field, so apt moves core from 2.50.10
    straight to the newest 3.1 version; the scan requires the path
    (2.50.22 or later, then 3.0.15 or later) and plans it in steps.
  - default_upgrade: apt has no "upgrades only on request" flag; it upgrades
    the modules whose default_upgrade is false too, which the scan lists as
    upgrade notices.
  - Holds map exactly (dpkg "hold"); maturity does not matter here (the
    benchmark policy accepts every maturity).
  - Versions: a trailing ".0" is equal for the scan (1.0 = 1.0.0) and not for
    dpkg (1.0 < 1.0.0); an inclusive "<=" bound on such a version would
    differ. The generated data has neither case.
  - Input: apt reads its binary cache (built from the Packages file on the
    first run, timed separately above); the scan works from listings already
    in memory (its figure includes merging them into an index).
DIFF
