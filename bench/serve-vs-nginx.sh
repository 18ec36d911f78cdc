#!/usr/bin/env bash
# Conditional requests answered 304: `upkeep-repo serve` side by side with
# nginx serving `upkeep-repo export` of the same catalog, both on loopback,
# both driven by wrk with keep-alive. Prints requests/s of each and the ratio.
#   bench/serve-vs-nginx.sh [MODULES] [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODULES=${1:-2000}
SECONDS_RUN=${2:-10}
UPKEEP_PORT=18480
NGINX_PORT=18481
export PATH=$PATH:/usr/local/go/bin

need() { command -v "$1" >/dev/null 2>&1 || NEED="${NEED:-} $2"; }
need nginx nginx-light
need wrk wrk
if [[ -n "${NEED:-}" ]]; then
	echo "installing:$NEED"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $NEED >/dev/null
fi

W=$(mktemp -d)
chmod 755 "$W" # nginx workers run as www-data
cleanup() {
	[[ -f $W/nginx.pid ]] && kill "$(cat "$W/nginx.pid")" 2>/dev/null || true
	[[ -n "${SERVE_PID:-}" ]] && kill "$SERVE_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

go build -o "$W/upkeep-repo" ./cmd/upkeep-repo
go build -o "$W/repobench" ./bench/repobench
echo "building a synthetic catalog of $MODULES modules..."
"$W/repobench" -modules "$MODULES" -publishes 1 -dir "$W/repo" >"$W/repobench.out"
sed "s/^/  /" "$W/repobench.out" | head -3
"$W/upkeep-repo" --dir "$W/repo" export --metadata-only "$W/static" | sed 's/^/  /'

cat >"$W/nginx.conf" <<CONF
worker_processes 2;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $W/static;
		etag on;
		gzip off;
	}
}
CONF
nginx -c "$W/nginx.conf"
"$W/upkeep-repo" --dir "$W/repo" serve --addr 127.0.0.1:$UPKEEP_PORT 2>"$W/serve.log" &
SERVE_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$UPKEEP_PORT/healthz" >/dev/null && break; sleep 0.1; done

rps() { # URL ETAG -> requests per second of 304s
	local out
	out=$(wrk -t2 -c32 -d"${SECONDS_RUN}s" -H "If-None-Match: $2" "$1")
	if grep -q "Non-2xx or 3xx" <<<"$out"; then
		echo "unexpected status from $1:" >&2
		echo "$out" >&2
		exit 1
	fi
	awk '/Requests\/sec/ {print $2}' <<<"$out"
}
etag() { curl -sI "$1" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r'; }
path=2.50/metadata/timestamp.json
code() { curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $2" "$1"; }
U="http://127.0.0.1:$UPKEEP_PORT/$path"
N="http://127.0.0.1:$NGINX_PORT/$path"
UE=$(etag "$U"); NE=$(etag "$N")
echo "check: upkeep answers $(code "$U" "$UE"), nginx answers $(code "$N" "$NE") to a conditional GET of $path"
UR=$(rps "$U" "$UE")
NR=$(rps "$N" "$NE")
echo "304s per second over loopback, wrk -t2 -c32 for ${SECONDS_RUN}s on $(nproc) cores:"
printf "  upkeep-repo serve: %10.0f\n  nginx (export):    %10.0f\n  ratio upkeep/nginx: %.2f\n" "$UR" "$NR" "$(echo "$UR / $NR" | bc -l)"
