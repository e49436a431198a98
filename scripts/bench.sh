#!/usr/bin/env bash
# Benchmarks the release api-server on a fresh database: starts it, runs bin/bench against it,
# prints the figures, and cleans up (server, database, Redis keys) whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-services.sh

echo "== building release binaries"
cargo build --release -p api-server -p bench

admin_url=${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="exam_booking_bench_$$"
port=${BENCH_PORT:-18080}
prefix="bench:$$:"
server_pid=""

cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    redis-cli --scan --pattern "${prefix}*" | xargs -r redis-cli del >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${admin_url%/*}/$db"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export APP__REDIS__KEY_PREFIX="$prefix"
export APP_PROFILE=development
export PORT="$port"
export RUST_LOG=${RUST_LOG:-warn}

printf 'bench-admin-password\n' | target/release/api-server create-admin --username bench_admin >/dev/null
target/release/api-server >/dev/null &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
done

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== server: release build, $(nproc) actix workers, database pool ${APP__DATABASE__POOL_SIZE:-6} per process, on the same machine as the load generator"
target/release/bench --base "http://127.0.0.1:$port" \
    --seconds "${BENCH_SECONDS:-10}" --connections "${BENCH_CONNECTIONS:-64}" \
    --confirms "${BENCH_CONFIRMS:-30000}"
