"""Scan-to-verdict in the browser: keyboard-wedge scans in the scanner app, timed by the page.

    python -m bench.scan_to_verdict [--quick] [--scans N]

The served app (uvicorn, SQLite, the small network of tests.support.network) and Debian's
Chromium driven by Playwright (scripts/e2e-setup.sh installs both). A pharmacist of pharmacy A
signs in at /scanner/ and scans packs with a simulated keyboard-wedge scanner: `]d2` + the element
string with GS, then Enter, typed key by key. The time measured is the page's own: from the scan
form's submit (the scanner's Enter) to the verdict rendered in the DOM (`performance.now()`,
`window.ptScanner.timings`): normalising the code, `POST /api/v1/verify`, JSON, DOM update. The
keys' typing is not in it (a real scanner types at its own speed before Enter). One scan in ten
is of an unknown serial (a red verdict), the others of packs in custody (green).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from typing import TYPE_CHECKING, Any

from bench.common import log, percentile, scratch_dir

if TYPE_CHECKING:
    from playwright.sync_api import Page

TITLE = "Scan-to-verdict in the browser (scanner app, keyboard wedge)"
TARGETS = {"p95 ms": "<= 150", "scans": ">= 200"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WARMUP = 10


def wedge_codes(gtin: str, lot: str, expiry: date, serials: list[str], count: int) -> list[str]:
    """`count` wedge scans (]d2, GS after the lot); one in ten of an unknown serial."""
    codes = []
    for i in range(count):
        serial = f"UNKNOWN{i:04d}" if i % 10 == 9 else serials[i % len(serials)]
        codes.append(f"]d201{gtin}17{expiry:%y%m%d}10{lot}\x1d21{serial}")
    return codes


def scan_all(page: Page, codes: list[str]) -> list[float]:
    """In a signed-in scanner page: type each code, key by key, then Enter; wait for its verdict.

    The page's scan-to-verdict times in ms, warm-up (the first `WARMUP` codes again) left out.
    """
    from playwright.sync_api import expect

    verdict = page.locator("#verdict")
    start = int(verdict.get_attribute("data-seq") or "0")
    for index, code in enumerate([*codes[:WARMUP], *codes], start=start + 1):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        expect(verdict).to_have_attribute("data-seq", str(index))
    timings: list[float] = page.evaluate("window.ptScanner.timings")
    return timings[start + WARMUP :]


def measure(base_url: str, token: str, codes: list[str]) -> list[float]:
    """Sign in at /scanner/ in a fresh Chromium and scan every code once (after a warm-up)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(base_url=base_url)
            page.goto("/scanner/")
            page.get_by_label("API token").fill(token)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_label("Scan or type a code")).to_be_focused()
            return scan_all(page, codes)
        finally:
            browser.close()


def summary(timings: list[float]) -> dict[str, Any]:
    ordered = sorted(timings)
    return {
        "scans": len(ordered),
        "p50 ms": round(percentile(ordered, 50), 1),
        "p95 ms": round(percentile(ordered, 95), 1),
        "p99 ms": round(percentile(ordered, 99), 1),
        "max ms": round(ordered[-1], 1) if ordered else 0.0,
    }


def run(quick: bool = False, scans: int | None = None) -> dict[str, Any]:
    from services.api import create_app
    from services.auth.tokens import create_token
    from tests.e2e.served import ServedApp
    from tests.support.network import build_small_network

    count = scans or (200 if quick else 500)
    with scratch_dir("scan-to-verdict") as data_dir:
        net = build_small_network(data_dir / "data")
        try:
            actor = net.pharmacy_a
            token = create_token(
                net.rt, user=actor.user, msp_id=actor.msp_id, location=actor.location
            )
            codes = wedge_codes(net.gtin, net.lot, net.expiry, net.serials, count)
            with ServedApp(create_app(net.rt)) as served:
                log(f"scan_to_verdict: {count} keyboard-wedge scans in Chromium")
                started = time.perf_counter()
                timings = measure(served.base, token, codes)
                elapsed = time.perf_counter() - started
        finally:
            net.rt.close()
    return summary(timings) | {"wall s (typing included)": round(elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--scans", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.scans), indent=2))


if __name__ == "__main__":
    main()
