#!/usr/bin/env bash
# Idempotent project set-up; every Makefile target runs this first, so the
# "already done" path must stay cheap (no pip, no apt, no network).
#
# Usage: scripts/setup.sh [--apt "pkg1 pkg2"]...
#   --apt PKGS        Debian packages to make sure are installed (repeatable).
#   PHARMATRACE_APT   same as --apt, from the environment.
set -euo pipefail

usage() {
    sed -n '2,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
}

die() {
    echo "setup: error: $*" >&2
    exit 1
}

# Work from the repo root whatever the caller's cwd is.
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

apt_pkgs=()
if [[ -n ${PHARMATRACE_APT:-} ]]; then
    read -r -a apt_pkgs <<<"$PHARMATRACE_APT"
fi
while (($# > 0)); do
    case $1 in
        --apt)
            (($# >= 2)) || die "--apt needs a package list"
            read -r -a more <<<"$2"
            apt_pkgs+=("${more[@]}")
            shift 2
            ;;
        --apt=*)
            read -r -a more <<<"${1#--apt=}"
            apt_pkgs+=("${more[@]}")
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage
            die "unknown argument: $1"
            ;;
    esac
done

# Serialise concurrent runs (make -j): two pip installs into one venv corrupt
# it. Locking the script itself needs no extra file in the repo.
if command -v flock >/dev/null 2>&1; then
    exec 9<"${BASH_SOURCE[0]}"
    flock 9
fi

# Root needs nothing; otherwise sudo, non-interactive when there is no
# terminal (CI has no stdin, a password prompt would just hang or fail).
as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [[ -t 0 ]]; then sudo "$@"; else sudo -n "$@"; fi
    else
        die "need root (or sudo) to run: $*"
    fi
}

# Run quietly, but show the full output if the command fails. 9<&-: a daemon
# started by a package's postinst must not inherit (and keep) our lock fd.
run_logged() {
    local log rc=0
    log=$(mktemp)
    "$@" >"$log" 2>&1 9<&- || rc=$?
    if ((rc != 0)); then
        cat "$log" >&2
        rm -f "$log"
        die "failed ($rc): $*"
    fi
    rm -f "$log"
}

# --- apt packages (first: Python deps may need system libraries) -------------
if ((${#apt_pkgs[@]} > 0)); then
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        die "apt packages requested (${apt_pkgs[*]}) but this is not a Debian-like system"
    fi
    missing=()
    for pkg in "${apt_pkgs[@]}"; do
        # Reject anything apt-get could take for an option.
        [[ $pkg =~ ^[a-z0-9][a-z0-9+.:-]*$ ]] || die "bad package name: $pkg"
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [[ $status == "install ok installed" ]] || missing+=("$pkg")
    done
    if ((${#missing[@]} > 0)); then
        echo "apt: installing ${missing[*]}"
        # Lock timeout: on fresh CI VMs unattended-upgrades often holds the lock.
        apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
        run_logged as_root env DEBIAN_FRONTEND=noninteractive apt-get -q update
        run_logged as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"
    fi
fi

# --- virtualenv --------------------------------------------------------------
is_py311() {
    "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1
}

if [[ ! -x .venv/bin/python ]]; then
    python=""
    # A pyenv shim for python3.11 can exist yet fail, so verify both candidates.
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && is_py311 "$candidate"; then
            python=$candidate
            break
        fi
    done
    [[ -n $python ]] || die "Python 3.11 not found (tried python3.11, python3)"
    "$python" -m venv .venv
    echo "venv: created"
fi
# Never delete a venv we did not create: a wrong interpreter is the user's call.
is_py311 .venv/bin/python || die ".venv is not Python 3.11; remove it and re-run"

# --- Python dependencies -----------------------------------------------------
stamp=.venv/.setup-stamp
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [[ $want != "$have" ]]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    # Written only after success, atomically, so a failed or interrupted
    # install is retried next time.
    printf '%s\n' "$want" >"$stamp.tmp"
    mv -f "$stamp.tmp" "$stamp"
    echo "python deps: installed"
fi

echo "setup: ok"
