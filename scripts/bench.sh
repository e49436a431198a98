#!/usr/bin/env bash
# Benchmarks the release api-server, first on PostgreSQL + Redis, then on the embedded backend
# (SQLite + in-process), each on a fresh database. Every ceiling is measured in the same run:
# GET /health with the same load generator, PostgreSQL's own rate for the hot statements
# (pgbench, scripts in bin/bench/pgbench/), raw argon2id on every core. Cleans up (servers,
# databases, Redis keys) whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-services.sh

echo "== building release binaries"
cargo build --release -p api-server -p bench

pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -1)
admin_url=${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="exam_booking_bench_$$"
port=${BENCH_PORT:-18080}
prefix="bench:$$:"
seconds=${BENCH_SECONDS:-10}
pool=${APP__DATABASE__POOL_SIZE:-6}
# A comma list of workloads (w1,w2,w3,w4,flood,drop,w6) to run only those; all by default.
only=${BENCH_ONLY:-}
# Skip the embedded backend's half (BENCH_EMBEDDED=0) while working on one backend.
embedded=${BENCH_EMBEDDED:-1}
work=$(mktemp -d)
server_pid=""
start_ms=0

stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
cleanup() {
    local status=$?
    stop_server
    if [[ $status -ne 0 && -s "$work/server.log" ]]; then
        echo "== the server's last log lines" >&2
        tail -n 40 "$work/server.log" >&2
    fi
    psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    redis-cli --scan --pattern "${prefix}*" | xargs -r redis-cli del >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# Starts the server; sets server_pid and start_ms (time until /health answered).
start_server() {
    local started
    started=$(date +%s%N)
    target/release/api-server >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 300); do
        if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
            start_ms=$(( ($(date +%s%N) - started) / 1000000 ))
            return
        fi
        sleep 0.01
    done
    echo "api-server did not start; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
}

# pgbench's tps for one script with `clients` connections.
pg_rate() {
    local clients=$1 script=$2; shift 2
    "$pgbench" -n -M prepared -c "$clients" -j 2 -T "$seconds" "$@" -f "$script" "$DATABASE_URL" 2>/dev/null \
        | awk '/^tps = / {print $3; exit}'
}

export APP_PROFILE=development PORT="$port" RUST_LOG=${RUST_LOG:-warn} APP__LOG__FORMAT=text
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== server: release build, $(nproc) actix workers, $pool database connections, load generator on the same machine"

echo "== PostgreSQL + Redis"
psql -q "$admin_url" -c "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${admin_url%/*}/$db"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export APP__REDIS__KEY_PREFIX="$prefix"
printf 'bench-admin-password\n' | target/release/api-server create-admin --username bench_admin >/dev/null
start_server; first_start=$start_ms
midnight=$(( $(date -u +%s) / 86400 * 86400 ))
hot=4102444800 # 2100-01-01: far outside the horizon, with a capacity that never runs out
psql -q "$DATABASE_URL" -c "INSERT INTO exam_slots (starts_at, capacity, confirmed) VALUES ($hot, 2147483647, 0)"
# W2's ceiling at W2's own concurrency (64 clients, each with a connection of its own): with that
# many, PostgreSQL flushes many commits at once, which the server's pool of 6 matches only by
# committing the creates that arrive together in one transaction.
insert_tps=$(pg_rate 64 bin/bench/pgbench/w2_insert_if_room.sql -D base="$midnight" -D uid=1 -D now="$(date -u +%s)")
update_tps=$(pg_rate "$pool" bin/bench/pgbench/w3_hot_row_update.sql -D hot="$hot")
# The confirm statement itself, over pending reservations on the hot slot (removed afterwards;
# their audit notes stay, as the audit log is append-only).
read -r first last actor < <(psql -qAt -F ' ' "$DATABASE_URL" -c "
    WITH admin AS (SELECT id FROM users WHERE username = 'bench_admin'),
    made AS (INSERT INTO reservations (user_id, starts_at, ends_at, seats, status, created_at, updated_at)
             SELECT (SELECT id FROM admin), $hot, $hot + 3600, 1, 'pending', 0, 0
             FROM generate_series(1, 200000) RETURNING id)
    SELECT MIN(id), MAX(id), (SELECT id FROM admin) FROM made")
confirm_tps=$(pg_rate "$pool" bin/bench/pgbench/w3_confirm.sql -D first="$first" -D last="$last" -D actor="$actor")
psql -q "$DATABASE_URL" -c "DELETE FROM reservations WHERE starts_at = $hot" >/dev/null
echo "   pgbench (prepared): W2 insert $insert_tps/s (64 clients), W3 hot-row update $update_tps/s and confirm statement $confirm_tps/s ($pool clients)"
# Each workload starts on a settled database: the rows the one before it (or the ceilings above)
# left behind are vacuumed first, so autovacuum does not run inside its measurement, and the
# pages they dirtied are written out, so a checkpoint does not either.
target/release/bench --base "http://127.0.0.1:$port" --seconds "$seconds" --backend "PostgreSQL + Redis" \
    --server-pid "$server_pid" --pg-insert-tps "$insert_tps" --pg-hot-update-tps "$update_tps" --pg-confirm-tps "$confirm_tps" \
    --settle "psql -qX $DATABASE_URL -c 'VACUUM ANALYZE' -c CHECKPOINT" ${only:+--only "$only"}
stop_server
start_server; restart=$start_ms
echo "   start: ${first_start} ms and ${restart} ms on restart, the horizon already there (target < 1000)"
stop_server
unset DATABASE_URL REDIS_URL APP__REDIS__KEY_PREFIX

if [[ "$embedded" != 0 ]]; then
    echo "== embedded (SQLite + in-process)"
    export APP__DATABASE__PATH="$work/bench.sqlite3"
    printf 'bench-admin-password\n' | target/release/api-server create-admin --username bench_admin >/dev/null
    start_server; first_start=$start_ms
    target/release/bench --base "http://127.0.0.1:$port" --seconds "$seconds" --backend "embedded" \
        --server-pid "$server_pid" ${only:+--only "$only"}
    stop_server
    start_server; restart=$start_ms
    echo "   start: ${first_start} ms with the horizon already made by create-admin, ${restart} ms on restart (target < 1000)"
fi
