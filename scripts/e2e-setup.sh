#!/usr/bin/env bash
# Everything the real-browser (e2e) tests need, idempotent and fast once done:
#   1. the pages' browser dependencies: `npm ci` from the committed package-lock.json into
#      node_modules/ (re-run only when package-lock.json changed: a stamp holds its hash);
#   2. Debian's chromium (+ chromium-driver, a font), through scripts/setup.sh --apt.
#      Playwright's own browser download cannot work here: the tests launch /usr/bin/chromium;
#   3. the Python `playwright` client in .venv (the driver ships inside the wheel).
#
# Usage: scripts/e2e-setup.sh               (the test command and the e2e session fixture)
#        scripts/e2e-setup.sh --assets-only  (step 1 only: what serving the pages needs; make demo)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

APT_PACKAGES="chromium chromium-driver fonts-dejavu-core"
# Used only when pyproject.toml does not (yet) bring playwright in with the dev extras.
PLAYWRIGHT_PIN="playwright==1.65.2"

die() {
    echo "e2e-setup: error: $*" >&2
    exit 1
}

# One run at a time (pytest-xdist workers, make -j): two `npm ci` into one folder collide.
if command -v flock >/dev/null 2>&1; then
    exec 8<"${BASH_SOURCE[0]}"
    flock 8
fi

# --- 1. browser dependencies from the npm registry ------------------------------------------
[[ -f package-lock.json ]] || die "package-lock.json is missing (run: npm install --package-lock-only)"
stamp=node_modules/.pharmatrace-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [[ $want != "$have" ]]; then
    command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js (Debian: nodejs npm)"
    # --ignore-scripts: the pages need files, never an install script's side effects.
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    printf '%s\n' "$want" >"$stamp.tmp"
    mv -f "$stamp.tmp" "$stamp"
    echo "e2e-setup: browser dependencies installed (npm ci)"
fi

if [[ ${1:-} == "--assets-only" ]]; then
    exit 0
fi

# --- 2. Debian's Chromium ---------------------------------------------------------------------
missing=0
for pkg in $APT_PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing=1
done
if ((missing)); then
    scripts/setup.sh --apt "$APT_PACKAGES"
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing after installing $APT_PACKAGES"

# --- 3. the Python Playwright client ----------------------------------------------------------
[[ -x .venv/bin/python ]] || scripts/setup.sh
if ! .venv/bin/python -c 'import playwright.sync_api' >/dev/null 2>&1; then
    echo "e2e-setup: playwright is not in .venv; installing $PLAYWRIGHT_PIN" \
        "(add it to the dev extras of pyproject.toml)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "$PLAYWRIGHT_PIN"
fi

echo "e2e-setup: ok"
