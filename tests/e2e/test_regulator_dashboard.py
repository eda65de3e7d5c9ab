"""The regulator's alert dashboard in a real browser: charts, filters, the workflow, live
refresh, CSV export. Screenshots go to test-artifacts/e2e/regulator-*.png."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from services.detection import workflow
from tests.e2e.conftest import Site
from tests.e2e.support import screenshot
from tests.support.alerts import PLANTED, plant_alerts

pytestmark = pytest.mark.e2e


def sign_in_as_regulator(page: Page, token: str, start: str = "/regulator") -> None:
    page.goto(start)
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def charts_drawn(page: Page) -> int:
    return int(
        page.evaluate(
            "() => [...document.querySelectorAll('canvas[data-chart]')]"
            ".filter(c => Chart.getChart(c) !== undefined).length"
        )
    )


def wait_for_charts(page: Page, count: int) -> None:
    """Until `count` charts are drawn: the canvases are in the HTML at once, chart.js (a deferred
    script) draws them a little later; fails after Playwright's timeout if they never are."""
    page.wait_for_function(
        "n => window.Chart !== undefined && [...document.querySelectorAll('canvas[data-chart]')]"
        ".filter(c => Chart.getChart(c) !== undefined).length === n",
        arg=count,
    )
    assert charts_drawn(page) == count


def chart_data(page: Page, label: str, path: str) -> Any:
    """A drawn chart's data, read in one step: the live part may swap the canvas at any time."""
    return page.evaluate(
        f"""() => {{
            const canvas = document.querySelector("canvas[aria-label='{label}']");
            return Chart.getChart(canvas).data.{path};
        }}"""
    )


def test_given_planted_alerts_when_a_regulator_works_an_alert_then_the_rate_and_csv_follow(
    page: Page, site: Site
) -> None:
    plant_alerts(site.network)
    sign_in_as_regulator(page, site.tokens["regulator"])

    # The dashboard: totals, five charts drawn, one row per alert.
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    expect(page.locator("#total-alerts")).to_have_text(str(len(PLANTED)))
    expect(page.locator("#false-alert-rate")).to_have_text("–")
    expect(page.locator("table.alerts tbody tr")).to_have_count(len(PLANTED))
    wait_for_charts(page, 5)
    assert sorted(chart_data(page, "Alerts by region", "labels")) == ["DE", "FR", "none"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "pt_session")
    assert cookie["path"] == "/regulator"
    assert cookie["httpOnly"]
    screenshot(page, "regulator-01-dashboard")

    # Filter: the German alerts only.
    page.get_by_label("Region", exact=True).select_option("DE")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"region=DE"))
    rows = page.locator("table.alerts tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#total-alerts")).to_have_text("2")
    wait_for_charts(page, 5)
    screenshot(page, "regulator-02-filtered")

    # Open the clone alert: evidence, drill-down, no history yet.
    page.locator("tr[data-key='clone|s1']").get_by_role("link", name="Clone").click()
    expect(page.get_by_role("heading", name=re.compile("^Clone"))).to_be_visible()
    expect(page.locator("#alert-detail [data-status]")).to_have_text("Open")
    report = page.get_by_role("link", name="Provenance report of pack SN0001X")
    expect(report).to_have_attribute(
        "href", f"/regulator/reports/packs/{site.network.gtin}/SN0001X"
    )
    expect(page.get_by_text("Nobody has worked on this alert yet.")).to_be_visible()
    evidence = page.locator("table.evidence tbody tr")
    expect(evidence).to_have_count(3)
    expect(evidence.nth(0)).to_contain_text("PharmacyAMSP")
    expect(evidence.nth(1)).to_contain_text("PharmacyBMSP")
    expect(evidence.nth(2)).to_contain_text("BatchRegistered")

    # Deciding without a note is refused on the page, and nothing changes.
    page.get_by_role("button", name="Start investigating").click()
    expect(page.locator("#alert-detail [data-status]")).to_have_text("Investigating")
    page.get_by_role("button", name="Mark as false alert").click()
    expect(page.get_by_role("alert")).to_contain_text("NOTE_REQUIRED")
    expect(page.locator("#alert-detail [data-status]")).to_have_text("Investigating")

    page.get_by_label("Note").fill("The same pack was scanned twice by a trainee; CCTV checked.")
    page.get_by_role("button", name="Mark as false alert").click()
    expect(page.locator("#alert-detail [data-status]")).to_have_text("False alert")
    history = page.locator("ol.history li")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("Investigating → False alert")
    expect(history.nth(1)).to_contain_text("scanned twice by a trainee")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    screenshot(page, "regulator-03-alert-false")

    # Back on the filtered dashboard: the false-alert rate is 100 % (1 of 1 decided).
    page.get_by_role("link", name="← Back to the alerts").click()
    expect(page).to_have_url(re.compile(r"region=DE"))
    expect(page.locator("#false-alert-rate")).to_have_text("100.0 %")

    # Live refresh: another regulator confirms an alert; the page updates itself (50 %).
    rt, regulator = site.network.rt, site.network.regulator
    workflow.transition(rt, actor=regulator, key="unknown_serial|s3", status="investigating")
    workflow.transition(
        rt, actor=regulator, key="unknown_serial|s3", status="confirmed", note="Seized."
    )
    expect(page.locator("#false-alert-rate")).to_have_text("50.0 %", timeout=15_000)
    expect(page.locator("tr[data-key='unknown_serial|s3'] [data-status]")).to_have_text(
        "Confirmed counterfeit"
    )
    assert chart_data(page, "False-alert rate by week", "datasets[1].data") == [50.0]
    screenshot(page, "regulator-04-live-refresh")

    # CSV export with the current filters.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == "pharmatrace-alerts.csv"
    path = download.path()
    assert path is not None
    rows_csv = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert {r["key"]: r["status"] for r in rows_csv} == {
        "clone|s1": "false_alarm",
        "unknown_serial|s3": "confirmed",
    }
    assert {r["region"] for r in rows_csv} == {"DE"}


def test_given_a_signed_out_regulator_when_opening_an_alert_link_then_sign_in_returns_there(
    page: Page, site: Site
) -> None:
    plant_alerts(site.network)
    sign_in_as_regulator(page, site.tokens["regulator"], "/regulator/alerts/clone%7Cs2")
    expect(page.get_by_role("heading", name=re.compile("^Clone"))).to_be_visible()
    expect(page.locator("#alert-detail")).to_have_attribute("data-key", "clone|s2")


def test_given_a_manufacturer_token_or_a_bad_filter_then_the_page_says_why(
    page: Page, site: Site
) -> None:
    sign_in_as_regulator(page, site.tokens["maker"])
    expect(page.get_by_role("alert")).to_contain_text("FORBIDDEN_ROLE")
    expect(page.get_by_role("alert")).to_contain_text("This page is for regulators")
    screenshot(page, "regulator-00-refused")

    sign_in_as_regulator(page, site.tokens["regulator"])
    page.goto("/regulator?severity=urgent&since=yesterday")
    expect(page.get_by_role("alert")).to_contain_text("INVALID_FILTER")
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
    screenshot(page, "regulator-05-bad-filter")
