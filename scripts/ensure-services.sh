#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer at the URLs the service and its tests use.
# Already up: says so. Down on this machine: starts them, installing the Debian packages first
# when they are missing. Says what it did; exits non-zero with the reason when it cannot.
set -euo pipefail

pg_url=${DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}

# host and port out of scheme://[user@]host:port[/db]
hostport() { local rest=${1#*://}; rest=${rest##*@}; rest=${rest%%/*}; echo "$rest"; }
pg_hp=$(hostport "$pg_url"); pg_host=${pg_hp%%:*}; pg_port=${pg_hp##*:}
redis_hp=$(hostport "$redis_url"); redis_host=${redis_hp%%:*}; redis_port=${redis_hp##*:}
[[ "$pg_port" == "$pg_host" ]] && pg_port=5432
[[ "$redis_port" == "$redis_host" ]] && redis_port=6379

say() { echo "services: $*"; }
fail() { echo "services: $*" >&2; exit 1; }
is_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }
answers() { timeout 2 bash -c ": >/dev/tcp/$1/$2" 2>/dev/null; }

sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

apt_install() {
    say "installing Debian packages: $*"
    export DEBIAN_FRONTEND=noninteractive
    sudo_if_needed apt-get update -qq
    sudo_if_needed apt-get install -y -qq "$@" >/dev/null
}

wait_for() { # name host port
    for _ in $(seq 1 60); do
        answers "$2" "$3" && return 0
        sleep 0.5
    done
    fail "$1 did not come up on $2:$3"
}

ensure_postgres() {
    if answers "$pg_host" "$pg_port"; then
        say "PostgreSQL answers on $pg_host:$pg_port"
        return
    fi
    is_local "$pg_host" || fail "PostgreSQL at $pg_host:$pg_port does not answer (not local: start it yourself)"
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)
    if [[ -z "$version" ]]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
        say "creating PostgreSQL $version cluster 'main'"
        sudo_if_needed pg_createcluster "$version" main -p "$pg_port" >/dev/null
    fi
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    # The tests connect as postgres over TCP without a password, as on the development machines.
    if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
        say "allowing trusted local TCP connections in $hba"
        sudo_if_needed sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    say "starting PostgreSQL $version"
    sudo_if_needed pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for PostgreSQL "$pg_host" "$pg_port"
    say "PostgreSQL is up on $pg_host:$pg_port"
}

ensure_redis() {
    if answers "$redis_host" "$redis_port"; then
        say "Redis answers on $redis_host:$redis_port"
        return
    fi
    is_local "$redis_host" || fail "Redis at $redis_host:$redis_port does not answer (not local: start it yourself)"
    command -v redis-server >/dev/null || apt_install redis-server
    say "starting Redis on port $redis_port (no persistence: it is a lock and cache store here)"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" \
        --save "" --appendonly no >/dev/null
    wait_for Redis "$redis_host" "$redis_port"
    say "Redis is up on $redis_host:$redis_port"
}

# The reverse-proxy test puts a real nginx in front of two instances; it starts its own nginx
# process on a free port, so only the binary is needed here.
ensure_nginx() {
    if command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; then
        say "nginx is installed (for the reverse-proxy test)"
        return
    fi
    apt_install nginx
    say "nginx installed (for the reverse-proxy test)"
}

ensure_postgres
ensure_redis
ensure_nginx
