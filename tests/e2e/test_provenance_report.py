"""The regulator's provenance report page in a real browser: sign in, read the summary, the
alerts, the custody graph, the map and the timeline, page through it, download PDF/CSV/EPCIS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from services.api import create_app
from services.auth.tokens import create_token
from services.detection.engine import detect, store
from tests.e2e.conftest import Site
from tests.e2e.served import ServedApp
from tests.e2e.support import artifact
from tests.support.provenance_chain import LocatedChain, build_located_chain

pytestmark = pytest.mark.e2e

EXTRA_SCANS = 600  # three timeline pages


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[LocatedChain]:
    located = build_located_chain(tmp_path / "data", quantity=900, extra_scans=EXTRA_SCANS)
    store(located.rt, detect(located.rt).findings)
    yield located
    located.rt.close()


@pytest.fixture
def site(chain: LocatedChain) -> Iterator[Site]:  # the `page` fixture serves this chain
    tokens = {
        key: create_token(chain.rt, user=a.user, msp_id=a.msp_id, location=a.location)
        for key, a in chain.actors.items()
    }
    with ServedApp(create_app(chain.rt)) as served:
        yield Site(served, chain, tokens)  # type: ignore[arg-type]  # a located chain, not the small one


def screenshot(page: Page, name: str, selector: str = "") -> None:
    """A screenshot in test-artifacts/e2e/: of one element, or of the window (a 250-row page
    in full would be tens of megabytes)."""
    if selector:
        page.locator(selector).screenshot(path=str(artifact(name)), timeout=60_000)
    else:
        page.screenshot(path=str(artifact(name)), timeout=60_000)


def _report_path(chain: LocatedChain) -> str:
    return f"/regulator/reports/batches/{chain.gtin}/{chain.lot}"


def _sign_in_through_redirect(page: Page, site: Site, path: str) -> None:
    """Asking for the report signed out leads to the sign-in form, then back to the report."""
    page.goto(path)
    page.get_by_label("API token").fill(site.tokens["agency"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Provenance")


def test_given_a_regulator_when_opening_a_batch_report_then_graph_map_and_timeline_show(
    page: Page, site: Site, chain: LocatedChain
) -> None:
    _sign_in_through_redirect(page, site, _report_path(chain))
    assert page.url.endswith(_report_path(chain))
    summary = page.locator("section[aria-labelledby=summary-title]")
    expect(summary).to_contain_text("Dissolution out of specification")
    expect(summary).to_contain_text("Rheinhafen Pharma AG")
    expect(page.locator("#report-alerts tbody tr").first).to_be_visible()

    graph = page.locator("#custody-graph")
    expect(graph).to_be_visible()
    expect(graph.locator("g.node")).to_have_count(8)  # 6 organizations, dispensed, destroyed
    expect(graph.locator("g.node[data-key=RheinhafenMSP]")).to_contain_text("Rheinhafen Pharma AG")
    expect(graph.locator("g.edge")).to_have_count(9)
    expect(graph).to_contain_text("135 packs (1 short)")

    world = page.locator("#report-map")
    expect(world).to_be_visible()
    assert world.locator(".countries path").count() > 20
    expect(world.locator(".place")).to_have_count(6)
    expect(world.locator(".routes path")).to_have_count(5)
    expect(world).to_contain_text("Apotheke am Rosenthaler Platz")

    total = 22 + EXTRA_SCANS + 2  # ledger events + generated scans + the clone and unknown scans
    expect(page.locator("#timeline-range")).to_contain_text(f"Entries 1–250 of {total:,}")
    rows = page.locator("#report-timeline tbody tr")
    expect(rows).to_have_count(250)
    expect(rows.first).to_contain_text("commissioned")
    expect(rows.first).to_contain_text("block")
    screenshot(page, "report-01-batch")
    screenshot(page, "report-01-graph", "section[aria-labelledby=graph-title]")
    screenshot(page, "report-01-map", "section[aria-labelledby=map-title]")

    page.get_by_role("navigation", name="Timeline pages").first.get_by_role(
        "link", name="3"
    ).click()
    expect(page.locator("#timeline-range")).to_contain_text(f"Entries 501–{total:,} of {total:,}")
    expect(page.locator("#report-timeline tbody tr").last).to_contain_text("recalled")
    screenshot(page, "report-02-timeline-last-page", "#timeline")


def test_given_the_report_when_downloading_then_pdf_csv_and_epcis_arrive(
    page: Page, site: Site, chain: LocatedChain, tmp_path: Path
) -> None:
    _sign_in_through_redirect(page, site, _report_path(chain))
    with page.expect_download() as pdf_info:
        page.get_by_role("link", name="Download PDF").click()
    saved = tmp_path / "report.pdf"
    pdf_info.value.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "Dissolution out of specification" in text
    assert "NOSUCH0001" in text
    assert text.count("off-chain scan") == EXTRA_SCANS + 2

    with page.expect_download() as csv_info:
        page.get_by_role("link", name="Download CSV").click()
    csv_file = tmp_path / "report.csv"
    csv_info.value.save_as(csv_file)
    lines = csv_file.read_text().splitlines()
    assert lines[0].startswith("event_time,kind")
    assert len(lines) > EXTRA_SCANS

    with page.expect_download() as epcis_info:
        page.get_by_role("link", name="Download EPCIS 2.0 (JSON-LD)").click()
    epcis = tmp_path / "report.json"
    epcis_info.value.save_as(epcis)
    assert json.loads(epcis.read_text())["type"] == "EPCISDocument"


def test_given_a_pack_when_opening_its_report_then_its_own_story_shows(
    page: Page, site: Site, chain: LocatedChain
) -> None:
    cloned = chain.dispensed[0]
    path = f"/regulator/reports/packs/{chain.gtin}/{cloned}"
    _sign_in_through_redirect(page, site, path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Pack {cloned}")
    timeline = page.locator("#report-timeline")
    expect(timeline).to_contain_text(f"Pack {cloned} dispensed.")
    expect(timeline).to_contain_text("ALREADY_DISPENSED")
    expect(page.locator("#custody-graph")).to_be_visible()
    expect(page.locator("#report-map")).to_be_visible()
    screenshot(page, "report-03-pack")


def test_given_an_unknown_batch_then_the_page_says_so_with_its_code(
    page: Page, site: Site, chain: LocatedChain
) -> None:
    _sign_in_through_redirect(page, site, _report_path(chain))
    answer = page.goto(f"/regulator/reports/batches/{chain.gtin}/NOSUCHLOT")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("alert")).to_contain_text("UNKNOWN_BATCH")
    screenshot(page, "report-04-unknown")


def test_given_a_pharmacy_token_then_no_report(page: Page, site: Site, chain: LocatedChain) -> None:
    page.goto(_report_path(chain))
    page.get_by_label("API token").fill(site.tokens["berlin"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("FORBIDDEN_ROLE")).to_be_visible()
    assert page.request.get(_report_path(chain), max_redirects=0).status == 303
