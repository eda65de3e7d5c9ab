#!/usr/bin/env bash
# Throwaway local PostgreSQL for the test suite.
#
# Usage: scripts/postgres.sh start|stop|url
#   start  init the cluster if needed, start it if needed, create the test
#          database, then print its SQLAlchemy URL
#   stop   stop the server if it is running (fast mode)
#   url    print the SQLAlchemy URL only
# Env: PHARMATRACE_PG_PORT (default 55432).
#
# stdout carries only the URL (callers do URL=$(scripts/postgres.sh start));
# all progress and diagnostics go to stderr.
set -euo pipefail

readonly PG_ROLE=pharmatrace
readonly PG_DB=pharmatrace_test
readonly START_TIMEOUT=30

log() { echo "postgres: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}
usage() { sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; }

# Work from the repo root whatever the caller's cwd is.
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)
cd "$ROOT"

PORT=${PHARMATRACE_PG_PORT:-55432}
if ! [[ $PORT =~ ^[0-9]{1,5}$ ]] || ((10#$PORT < 1 || 10#$PORT > 65535)); then
    die "bad PHARMATRACE_PG_PORT: $PORT"
fi
PORT=$((10#$PORT))
URL="postgresql+psycopg://${PG_ROLE}@127.0.0.1:${PORT}/${PG_DB}"

cmd=${1:-}
case $cmd in
    start | stop) ;;
    url)
        echo "$URL"
        exit 0
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage
        exit 2
        ;;
esac

# Serialise start/stop: two concurrent starts would race on initdb and on
# CREATE DATABASE. Locking the script itself needs no extra file.
if command -v flock >/dev/null 2>&1; then
    exec 9<"${BASH_SOURCE[0]}"
    flock 9
fi

# --- server binaries ---------------------------------------------------------
# Newest /usr/lib/postgresql/<ver>/bin, or the one matching an existing
# cluster's PG_VERSION (a v15 cluster will not start with v16 binaries).
find_bindir() {
    local want=${1:-} dirs=() d
    if [[ -n $want ]]; then
        [[ -x /usr/lib/postgresql/$want/bin/initdb ]] && echo "/usr/lib/postgresql/$want/bin"
        return 0
    fi
    for d in /usr/lib/postgresql/*/bin/initdb; do
        [[ -x $d ]] && dirs+=("${d%/initdb}")
    done
    ((${#dirs[@]} > 0)) || return 0
    printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1
}

# --- who runs the server -----------------------------------------------------
# initdb and postgres refuse to run as root, so root delegates to a system user.
PG_USER=""
if ((EUID == 0)); then
    command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is required when running as root"
fi

pick_pg_user() {
    ((EUID == 0)) || return 0
    if id -u postgres >/dev/null 2>&1; then
        PG_USER=postgres
    else
        PG_USER=pharmatrace-pg
        if ! id -u "$PG_USER" >/dev/null 2>&1; then
            log "creating system user $PG_USER"
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$PG_USER"
        fi
    fi
}

# Run a PostgreSQL server tool as PG_USER. cd / first: the tools call getcwd()
# and fail ("could not identify current directory") when PG_USER cannot read
# the caller's cwd. All paths passed are absolute. 9<&-: the postmaster must
# not inherit our lock fd, or it would hold the lock for its whole life and
# every later run of this script would block.
as_pg() {
    if [[ -n $PG_USER ]]; then
        (cd / && exec runuser -u "$PG_USER" -- "$@" 9<&-)
    else
        (cd / && exec "$@" 9<&-)
    fi
}

# --- data directory ----------------------------------------------------------
# .pgdata in the repo, unless PG_USER cannot traverse the path to it (e.g. the
# repo is under a mode-700 home): then a per-repo directory under /tmp.
pick_datadir() {
    DATA=$ROOT/.pgdata
    if [[ -n $PG_USER ]] && ! runuser -u "$PG_USER" -- test -x "$ROOT" 2>/dev/null; then
        DATA=/tmp/pharmatrace-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
        log "$PG_USER cannot reach $ROOT; using data dir $DATA instead"
        # /tmp is world-writable: never adopt a directory someone else made.
        if [[ -e $DATA && $(stat -c %U "$DATA") != "$PG_USER" ]]; then
            die "$DATA exists but is not owned by $PG_USER; remove it"
        fi
    fi
    LOGFILE=$DATA/server.log
    # Canonical path, compared with /proc/<pid>/cwd to recognise our processes.
    DATA_REAL=$(readlink -f "$DATA")
}

# PID of our postmaster, or nothing. pg_ctl status alone is fooled by a stale
# postmaster.pid whose PID was recycled by an unrelated process (common after
# a container restart), so also check the process is postgres running in DATA.
running_pid() {
    local pid comm cwd
    [[ -f $DATA/postmaster.pid ]] || return 0
    as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1 || return 0
    pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
    pid=${pid#-}
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
    [[ $comm == postgres && $cwd == "$DATA_REAL" ]] && echo "$pid"
    return 0
}

# Processes still using DATA as their cwd: children of a postmaster that was
# SIGKILLed. While they hold the shared memory segment, a new postmaster
# refuses to start ("pre-existing shared memory block is still in use").
leftover_pids() {
    local p
    # -ef (same inode) is a builtin test: no fork per process, so the scan is
    # cheap enough to poll.
    for p in /proc/[0-9]*; do
        [[ $p/cwd -ef $DATA_REAL ]] && echo "${p#/proc/}"
    done
    return 0
}

clear_stale_state() {
    local pids i f
    pids=$(leftover_pids)
    if [[ -n $pids ]]; then
        log "waiting for leftover server processes to exit: $(echo "$pids" | tr '\n' ' ')"
        for ((i = 0; i < 50; i++)); do
            sleep 0.1
            pids=$(leftover_pids)
            [[ -z $pids ]] && break
        done
        if [[ -n $pids ]]; then
            log "killing leftover server processes: $(echo "$pids" | tr '\n' ' ')"
            # shellcheck disable=SC2086 # word splitting wanted: one PID per word
            kill -9 $pids 2>/dev/null || true
            sleep 0.5
        fi
    fi
    # Nothing runs in DATA any more, so lock files left over are stale. The
    # postmaster would mostly cope with them itself, but not when the old PID
    # still exists: a SIGKILLed postmaster stays a zombie until PID 1 reaps it
    # (slow or never in containers), and kill(pid, 0) says it is alive. The
    # unix socket lock in DATA records the same PID and needs the same care.
    for f in "$DATA/postmaster.pid" "$DATA"/.s.PGSQL.*.lock; do
        if [[ -f $f ]]; then
            log "removing stale ${f##*/}"
            rm -f "$f"
        fi
    done
}

tail_log() {
    if [[ -f $LOGFILE ]]; then
        log "last lines of $LOGFILE:"
        tail -n 40 "$LOGFILE" >&2
    fi
}

init_cluster() {
    local out
    # Our marker is written last: a directory without it is a half-done initdb
    # (interrupted run), safe to wipe since nothing runs in it.
    if [[ -f $DATA/.pharmatrace-initdb-ok ]]; then
        return 0
    fi
    if [[ -d $DATA ]] && [[ -n $(ls -A "$DATA") ]]; then
        [[ -z $(leftover_pids) ]] || die "$DATA is half-initialised but in use; stop it and remove it"
        log "removing half-initialised $DATA"
        find "$DATA" -mindepth 1 -delete
    fi
    if [[ ! -d $DATA ]]; then
        mkdir -m 700 "$DATA"
    fi
    [[ -z $PG_USER ]] || chown "$PG_USER:" "$DATA"
    chmod 700 "$DATA"

    log "initdb $DATA"
    # C.UTF-8 keeps collation byte-order like C but with UTF-8 ctype; some
    # systems lack that locale, C is the fallback. initdb cleans up on failure.
    if ! out=$(as_pg "$BIN/initdb" -D "$DATA" -A trust -U "$PG_ROLE" \
        --encoding=UTF8 --locale=C.UTF-8 2>&1); then
        log "initdb with locale C.UTF-8 failed, retrying with C"
        if ! out=$(as_pg "$BIN/initdb" -D "$DATA" -A trust -U "$PG_ROLE" \
            --encoding=UTF8 --locale=C 2>&1); then
            echo "$out" >&2
            die "initdb failed"
        fi
    fi
    as_pg touch "$DATA/.pharmatrace-initdb-ok"
}

# Ensure the data dir is usable by PG_USER (it may have been made by another
# user, e.g. pharmatrace-pg before the postgres package arrived).
fix_ownership() {
    [[ -n $PG_USER && -d $DATA ]] || return 0
    if [[ $(stat -c %U "$DATA") != "$PG_USER" ]]; then
        log "chown -R $PG_USER $DATA"
        chown -R "$PG_USER:" "$DATA"
    fi
    chmod 700 "$DATA"
}

wait_ready() {
    local deadline=$1
    while ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U "$PG_ROLE"; do
        if ((SECONDS >= deadline)); then
            tail_log
            die "server did not accept connections within ${START_TIMEOUT}s"
        fi
        sleep 0.1
    done
}

psql_q() {
    # -X: ignore ~/.psqlrc, whose settings could pollute the output.
    PGCONNECT_TIMEOUT=5 "$BIN/psql" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" \
        -U "$PG_ROLE" -d postgres -tAc "$1"
}

do_start() {
    local deadline sock_opt opts
    BIN=$(find_bindir)
    if [[ -z $BIN ]]; then
        log "no PostgreSQL server binaries found; installing"
        "$ROOT/scripts/setup.sh" --apt "postgresql" >&2
        BIN=$(find_bindir)
        [[ -n $BIN ]] || die "still no /usr/lib/postgresql/*/bin/initdb after installing postgresql"
    fi
    pick_pg_user
    pick_datadir
    if [[ -f $DATA/PG_VERSION ]]; then
        local ver
        ver=$(<"$DATA/PG_VERSION")
        BIN=$(find_bindir "$ver")
        [[ -n $BIN ]] || die "$DATA was made by PostgreSQL $ver whose binaries are gone; remove $DATA"
    fi

    fix_ownership
    init_cluster

    deadline=$((SECONDS + START_TIMEOUT))
    if [[ -n $(running_pid) ]]; then
        log "already running on port $PORT"
    else
        clear_stale_state
        # Unix sockets are capped at ~107 bytes of path; with a deep repo path
        # disable the socket (everything here connects over TCP anyway).
        if ((${#DATA} + ${#PORT} + 10 > 100)); then
            log "data dir path too long for a unix socket; TCP only"
            sock_opt="''"
        else
            sock_opt=$(printf '%q' "$DATA")
        fi
        # pg_ctl hands -o to /bin/sh, hence the %q quoting above. fsync and
        # friends are off: this cluster is disposable, speed matters more.
        opts="-p $PORT -h 127.0.0.1 -k $sock_opt -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log "starting on 127.0.0.1:$PORT (data $DATA, log $LOGFILE)"
        if ! as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$LOGFILE" -o "$opts" -w -t "$START_TIMEOUT" >&2; then
            tail_log
            die "pg_ctl start failed"
        fi
    fi
    wait_ready "$deadline"

    if [[ -z $(psql_q "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ]]; then
        log "creating database $PG_DB"
        psql_q "CREATE DATABASE $PG_DB" >/dev/null
    fi
    echo "$URL"
}

do_stop() {
    local pid
    BIN=$(find_bindir)
    if [[ -z $BIN ]]; then
        log "no PostgreSQL installed; nothing to stop"
        return 0
    fi
    pick_pg_user
    pick_datadir
    if [[ ! -d $DATA ]]; then
        log "no cluster at $DATA; nothing to stop"
        return 0
    fi
    if [[ -f $DATA/PG_VERSION ]]; then
        BIN=$(find_bindir "$(<"$DATA/PG_VERSION")")
        [[ -n $BIN ]] || die "binaries for $DATA are gone"
    fi
    pid=$(running_pid)
    if [[ -z $pid ]]; then
        log "not running"
        return 0
    fi
    as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t "$START_TIMEOUT" >&2
}

case $cmd in
    start) do_start ;;
    stop) do_stop ;;
esac
