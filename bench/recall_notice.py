"""Recall → notice: how long until an open scanner shows a recall (target: 2 s).

    python -m bench.recall_notice [--quick] [--trials N]

The served app (uvicorn, SQLite, the small network of tests.support.network plus one fresh batch
per trial: a recall is final). Two measurements, each over N trials:

- browser: pharmacy A's scanner page is open in Debian's Chromium (signed in, stream live); the
  manufacturer's recall is sent from the same page (fetch, so both ends use the page's clock).
  Time from sending `POST /batches/{gtin}/{lot}/status` to the red banner for that lot in the DOM
  and the next animation frame (painted). The recall request's own time is reported beside it.
- sse: a plain HTTP client (httpx, another thread) holds `GET /api/v1/notifications` open as a
  regulator; time from sending the recall to the `batch-status` event read from the stream.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx

from bench.common import log, percentile, scratch_dir

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.support.network import SmallNetwork

TITLE = "Recall to notice on an open scanner (SSE; Chromium and an HTTP client)"
TARGETS = {
    "browser p95 ms": "<= 2000",
    "sse p95 ms": "<= 2000",
    "browser trials": ">= 20",
    "sse trials": ">= 20",
}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
REASON = "Benchmark recall: particles in retained samples"

RECALL_IN_PAGE = """
async ({ gtin, lot, token, reason }) => {
  const area = document.getElementById("notices");
  area.replaceChildren();
  const appeared = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if ([...area.querySelectorAll("[data-lot]")].some((b) => b.dataset.lot === lot)) {
        watch.disconnect();
        requestAnimationFrame(() => resolve(performance.now()));
      }
    });
    watch.observe(area, { childList: true });
  });
  const started = performance.now();
  const response = await fetch(`/api/v1/batches/${gtin}/${encodeURIComponent(lot)}/status`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ action: "recall", reason }),
  });
  const answered = performance.now();
  if (!response.ok) throw new Error(`recall refused: ${response.status} ${await response.text()}`);
  const shown = await appeared;
  return { notice: shown - started, request: answered - started };
}
"""


def stats(prefix: str, values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        f"{prefix} trials": len(ordered),
        f"{prefix} p50 ms": round(percentile(ordered, 50), 1),
        f"{prefix} p95 ms": round(percentile(ordered, 95), 1),
        f"{prefix} max ms": round(ordered[-1], 1) if ordered else 0.0,
    }


def fresh_lots(net: SmallNetwork, prefix: str, count: int) -> list[str]:
    from services.domain import batches

    lots = [f"{prefix}{i:04d}" for i in range(count)]
    for lot in lots:
        batches.register_batch(
            net.rt, actor=net.maker, gtin=net.gtin, lot=lot, expiry=date(2029, 1, 31), quantity=2
        )
    return lots


def browser_trials(
    page: Page, gtin: str, lots: list[str], token: str
) -> tuple[list[float], list[float]]:
    notices, requests = [], []
    for lot in lots:
        timing = page.evaluate(
            RECALL_IN_PAGE, {"gtin": gtin, "lot": lot, "token": token, "reason": REASON}
        )
        notices.append(float(timing["notice"]))
        requests.append(float(timing["request"]))
    return notices, requests


def measure_browser(base: str, tokens: dict[str, str], gtin: str, lots: list[str]) -> Any:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(base_url=base)
            page.goto("/scanner/")
            page.get_by_label("API token").fill(tokens["pharmacy_a"])
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#notices")).to_have_attribute("data-state", "live")
            return browser_trials(page, gtin, lots, tokens["maker"])
        finally:
            browser.close()


def measure_sse(base: str, tokens: dict[str, str], gtin: str, lots: list[str]) -> list[float]:
    from tests.integration.notifications.support import SseListener

    times = []
    with SseListener(base, tokens["regulator"]) as listener, httpx.Client(timeout=30) as client:
        listener.next("ready")
        for lot in lots:
            started = time.perf_counter()
            response = client.post(
                f"{base}/api/v1/batches/{gtin}/{lot}/status",
                json={"action": "recall", "reason": REASON},
                headers={"Authorization": f"Bearer {tokens['maker']}"},
            )
            response.raise_for_status()
            while True:
                event = listener.next("batch-status")
                if event.data["lot"] == lot:
                    break
            times.append((event.received - started) * 1000)
    return times


def run(quick: bool = False, trials: int | None = None) -> dict[str, Any]:
    from services.api import create_app
    from tests.e2e.served import ServedApp
    from tests.integration.api.support import tokens_for
    from tests.support.network import build_small_network

    count = trials or (20 if quick else 40)
    with scratch_dir("recall-notice") as data_dir:
        net = build_small_network(data_dir / "data")
        try:
            tokens = tokens_for(net)
            browser_lots = fresh_lots(net, "RB", count)
            sse_lots = fresh_lots(net, "RS", count)
            with ServedApp(create_app(net.rt)) as served:
                log(f"recall_notice: {count} recalls seen in Chromium, {count} by an SSE client")
                notices, requests = measure_browser(served.base, tokens, net.gtin, browser_lots)
                sse = measure_sse(served.base, tokens, net.gtin, sse_lots)
        finally:
            net.rt.close()
    return (
        stats("browser", notices)
        | {"recall request p50 ms": round(percentile(sorted(requests), 50), 1)}
        | stats("sse", sse)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--trials", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.trials), indent=2))


if __name__ == "__main__":
    main()
