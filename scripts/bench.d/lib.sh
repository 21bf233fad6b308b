# shellcheck shell=bash
# Fallbacks for scripts/bench when scripts/lib.sh (engineer "harness") is missing or lacks a
# function. Defines only what is not defined yet, so the shared versions win.

declare -F te_log >/dev/null || te_log() { printf '[%s] %s\n' "${TE_SCRIPT:-bench}" "$*" >&2; }
declare -F te_die >/dev/null || te_die() { te_log "error: $*"; exit 1; }

declare -F te_ensure_swift_path >/dev/null || te_ensure_swift_path() {
    if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null 2>&1
}

declare -F te_free_port >/dev/null || te_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

declare -F te_wait_port >/dev/null || te_wait_port() {
    local port="$1" secs="${2:-30}" i
    for ((i = 0; i < secs * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

declare -F te_pg_bindir >/dev/null || te_pg_bindir() {
    local dir
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    return 1
}

declare -F _te_pg_as_owner >/dev/null || _te_pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

# Throwaway PostgreSQL on a free loopback port, trust auth; exports TE_PG_DIR, TE_PG_BINDIR,
# TE_PG_PORT, TE_PG_URL.
declare -F te_pg_start >/dev/null || te_pg_start() {
    local bindir dir port
    bindir="$(te_pg_bindir)" || te_die "PostgreSQL server binaries not found"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/tenant-edge-bench-pg.XXXXXX")"
    mkdir -p "$dir/data" "$dir/sock"
    [ "$(id -u)" = 0 ] && chown -R nobody "$dir"
    chmod 0755 "$dir"
    export TE_PG_DIR="$dir" TE_PG_BINDIR="$bindir"
    (cd "$dir" && _te_pg_as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync >"$dir/initdb.log" 2>&1) || { cat "$dir/initdb.log" >&2; te_die "initdb failed"; }
    port="$(te_free_port)"
    (cd "$dir" && _te_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >"$dir/pg_ctl.log" 2>&1) || { tail -n 30 "$dir/postgres.log" >&2; te_die "PostgreSQL did not start"; }
    export TE_PG_PORT="$port" TE_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

declare -F te_pg_stop >/dev/null || te_pg_stop() {
    local dir="${TE_PG_DIR:-}"
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    (cd "$dir" && _te_pg_as_owner "${TE_PG_BINDIR:-$(te_pg_bindir)}/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop) \
        >/dev/null 2>&1 || true
    rm -rf "$dir"
    unset TE_PG_DIR TE_PG_PORT TE_PG_URL
}

declare -F te_psql >/dev/null || te_psql() {
    local url="$1"; shift
    psql -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"
}

# SIGTERM to the given PIDs and their descendants, SIGKILL after a grace period.
declare -F te_kill_tree >/dev/null || te_kill_tree() {
    local grace="${TE_KILL_GRACE:-5}" pids=() pid i alive
    _bench_collect() {
        local p="$1" c
        pids+=("$p")
        for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do _bench_collect "$c"; done
    }
    for pid in "$@"; do
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && _bench_collect "$pid"
    done
    [ "${#pids[@]}" -gt 0 ] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && return 0
        sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
}
