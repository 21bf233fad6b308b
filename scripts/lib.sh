# shellcheck shell=bash
# Shared shell functions for scripts/bootstrap, scripts/test and scripts/demo.
# Source it; it defines functions and sets nothing else but TE_ROOT.
#
# PostgreSQL refuses to run as root, so when we are root the server runs as
# `nobody` from a temp dir that `nobody` owns. Everything listens on loopback only.

TE_ROOT="${TE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

te_log() { printf '[%s] %s\n' "${TE_SCRIPT:-tenant-edge}" "$*" >&2; }
te_die() { te_log "error: $*"; exit 1; }

# Puts the Swift toolchain on PATH when it is installed but not found.
te_ensure_swift_path() {
    if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null 2>&1 || te_die "swift not found on PATH (nor in /opt/swift/usr/bin)"
}

# Prints a python3 that can import pytest (the one on PATH first, then Debian's).
te_python() {
    local py
    for py in python3 /usr/bin/python3; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import pytest' >/dev/null 2>&1; then
            command -v "$py"; return 0
        fi
    done
    command -v python3 || echo python3
    return 1
}

# Prints a TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it).
te_free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# te_wait_port PORT [SECONDS]: waits until something accepts on 127.0.0.1:PORT.
te_wait_port() {
    local port="$1" secs="${2:-30}" i
    for ((i = 0; i < secs * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# Directory with initdb/pg_ctl: pg_config --bindir, else the newest installed server.
te_pg_bindir() {
    local dir
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
    return 1
}

# Runs a command as the PostgreSQL owner: `nobody` when we are root, else ourselves.
_te_pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u nobody -- "$@"
        else
            su -s /bin/sh nobody -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

# Starts a throwaway PostgreSQL on a free loopback port, trust auth, data in a temp dir.
# Exports TE_PG_DIR, TE_PG_BINDIR, TE_PG_PORT, TE_PG_URL. Idempotent within one shell.
te_pg_start() {
    if [ -n "${TE_PG_DIR:-}" ] && [ -f "${TE_PG_DIR}/data/postmaster.pid" ]; then return 0; fi
    local bindir dir attempt port
    bindir="$(te_pg_bindir)" || te_die "PostgreSQL server binaries not found (run scripts/bootstrap)"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/tenant-edge-pg.XXXXXX")"
    mkdir -p "$dir/data" "$dir/sock"
    if [ "$(id -u)" = 0 ]; then chown -R nobody "$dir"; fi
    chmod 0755 "$dir"
    export TE_PG_DIR="$dir" TE_PG_BINDIR="$bindir"
    # cd into the temp dir: `nobody` may not be allowed to stay in the caller's directory.
    if ! (cd "$dir" && _te_pg_as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust \
            -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1); then
        cat "$dir/initdb.log" >&2
        te_die "initdb failed (log above)"
    fi
    for attempt in 1 2 3 4 5; do
        port="$(te_free_port)"
        if (cd "$dir" && _te_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
                -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
                start >"$dir/pg_ctl.log" 2>&1); then
            break
        fi
        port=""
        sleep 0.2
    done
    if [ -z "$port" ]; then
        tail -n 30 "$dir/postgres.log" "$dir/pg_ctl.log" >&2 2>/dev/null || true
        te_die "PostgreSQL did not start (logs above)"
    fi
    local i
    for ((i = 0; i < 300; i++)); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then break; fi
        sleep 0.1
    done
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || te_die "PostgreSQL on port $port is not ready"
    export TE_PG_PORT="$port"
    export TE_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

# Stops the PostgreSQL that te_pg_start started and removes its temp dir.
te_pg_stop() {
    local dir="${TE_PG_DIR:-}"
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        (cd "$dir" && _te_pg_as_owner "${TE_PG_BINDIR:-$(te_pg_bindir)}/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop) \
            >/dev/null 2>&1 || true
        if [ -f "$dir/data/postmaster.pid" ]; then
            local pid
            pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
            if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
        fi
    fi
    rm -rf "$dir"
    unset TE_PG_DIR TE_PG_PORT TE_PG_URL
}

# te_psql URL ARGS...: psql that stops at the first error and reads no ~/.psqlrc.
te_psql() {
    local url="$1"; shift
    psql -X -q -v ON_ERROR_STOP=1 -d "$url" "$@"
}

# te_kill_tree PID...: SIGTERM to the processes and their descendants, SIGKILL to what is
# left after a grace period. Only the given PIDs and their children are touched.
te_kill_tree() {
    local grace="${TE_KILL_GRACE:-5}" pids=() pid kids i alive
    _te_collect() {
        local p="$1" c
        pids+=("$p")
        for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do _te_collect "$c"; done
    }
    for pid in "$@"; do
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && _te_collect "$pid"
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
