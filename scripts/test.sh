#!/usr/bin/env bash
# Every test: starts the local PostgreSQL, builds (or finds) the Fabric binaries, runs pytest.
# When the Fabric binaries cannot be had on this machine, the `fabric` tests are not run and the
# run says so loudly: they are never reported as passed.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

# Debian tools some tests use: pdftoppm rasterises label sheets, DejaVu renders label text.
scripts/setup.sh --apt "poppler-utils fonts-dejavu-core" >/dev/null

pg_url=$(scripts/postgres.sh start | tail -n 1)
export PHARMATRACE_TEST_PG_URL="$pg_url"

# Browser tests: npm assets, Debian chromium, playwright (idempotent, fast once done).
scripts/e2e-setup.sh

markers=()
fabric_log=$(mktemp)
if .venv/bin/python -c 'from network.binaries import ensure_binaries; ensure_binaries()' \
    >"$fabric_log" 2>&1; then
    echo "fabric: binaries ready, the fabric tests run"
else
    echo "=================================================================================="
    echo "fabric: the Fabric binaries are NOT available here; the fabric tests are NOT run:"
    tail -n 3 "$fabric_log" | sed 's/^/    /'
    echo "=================================================================================="
    markers=(-m "not fabric")
fi
rm -f "$fabric_log"

exec .venv/bin/pytest -p no:cacheprovider "${markers[@]}" "$@"
