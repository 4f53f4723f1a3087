#!/usr/bin/env bash
# Serves MODEL from REPLICAS gemmac-serve processes on loopback ports behind
# nginx on PORT, all in the foreground and unprivileged; Ctrl-C (or SIGTERM)
# stops nginx, then drains the replicas.
# Usage: examples/serve/run.sh MODEL.gmf [PORT (8080)] [REPLICAS (2)] [-- gemmac-serve options...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
model=${1:?usage: $0 MODEL.gmf [PORT] [REPLICAS] [-- gemmac-serve options...]}
port=${2:-8080}
replicas=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
serve=${GEMMAC_SERVE:-$(command -v gemmac-serve || echo "$here/../../build/bin/gemmac-serve")}
prefix=${NGINX_PREFIX:-$(mktemp -d)}

pids=()
stop() {
  [ -f "$prefix/nginx.pid" ] && kill -QUIT "$(cat "$prefix/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop EXIT INT TERM

upstreams=()
for ((i = 1; i <= replicas; i++)); do
  replica_port=$((port + i))
  "$serve" "$model" --host 127.0.0.1 --port "$replica_port" "$@" &
  pids+=($!)
  upstreams+=("127.0.0.1:$replica_port")
done
bash "$here/nginx-conf.sh" "$prefix" "127.0.0.1:$port" "${upstreams[@]}" > "$prefix/nginx.conf"
echo "nginx on http://127.0.0.1:$port -> ${upstreams[*]} (logs in $prefix)"
nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" -g 'daemon off;' &
pids+=($!)
wait -n
