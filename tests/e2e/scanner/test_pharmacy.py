"""The scanner app in pharmacy mode, in a real Chromium: camera, keyboard wedge, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from services.domain import batches
from services.gs1 import PackIdentifier
from tests.e2e.conftest import Site
from tests.e2e.scanner.conftest import CameraPage
from tests.e2e.scanner.support import (
    datamatrix_frame,
    qr_frame,
    scanner_sign_in,
    shot,
    wedge_scan,
    write_y4m,
)

pytestmark = pytest.mark.e2e

GS = "\x1d"


def pack(site: Site, serial: str) -> PackIdentifier:
    net = site.network
    return PackIdentifier(gtin=net.gtin, lot=net.lot, serial=serial, expiry=net.expiry)


def wedge_text(site: Site, serial: str, separator: str = GS) -> str:
    """What a wedge scanner types for a pack's DataMatrix: ]d2, fields, GS after variable ones."""
    net = site.network
    return f"]d201{net.gtin}17{net.expiry:%y%m%d}10{net.lot}{separator}21{serial}"


def test_given_a_fake_camera_showing_a_datamatrix_when_scanning_then_the_verdict_is_green(
    camera_page: CameraPage, site: Site, tmp_path: Path
) -> None:
    video = write_y4m(tmp_path / "datamatrix.y4m", datamatrix_frame(pack(site, "SN0003X")))
    page = camera_page(video)
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    page.get_by_role("button", name="Start camera").click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-light", "green")
    expect(verdict.locator("#verdict-code")).to_have_text("OK")
    expect(verdict).to_contain_text("Paracetamol 500 mg tablets")
    expect(verdict).to_contain_text("SN0003X")
    expect(page.locator("#camera-status")).to_contain_text("DataMatrix")
    shot(page, "camera-datamatrix-green")


def test_given_a_fake_camera_showing_the_digital_link_qr_when_scanning_then_it_is_verified(
    camera_page: CameraPage, site: Site, tmp_path: Path
) -> None:
    video = write_y4m(tmp_path / "qr.y4m", qr_frame(pack(site, "SN0004X")))
    page = camera_page(video)
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    page.get_by_role("button", name="Start camera").click()

    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-light", "green")
    expect(verdict.locator("#verdict-code")).to_have_text("OK")
    expect(verdict).to_contain_text("SN0004X")
    expect(page.locator("#camera-status")).to_contain_text("QRCode")
    shot(page, "camera-qr-green")


@pytest.mark.parametrize("separator", [GS, "<GS>", "^]"], ids=["ascii-29", "angle-GS", "caret"])
def test_given_a_keyboard_wedge_when_it_types_a_datamatrix_then_the_verdict_is_green(
    page: Page, site: Site, separator: str
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    verdict = wedge_scan(page, wedge_text(site, "SN0005X", separator))
    expect(verdict).to_have_attribute("data-light", "green")
    expect(verdict.locator("#verdict-code")).to_have_text("OK")
    expect(verdict).to_contain_text("LOT001")
    expect(verdict).to_contain_text("MakerMSP")
    expect(verdict).to_contain_text("Your organization holds 10 pack(s) of this batch.")
    if separator == GS:
        shot(page, "verdict-green")


def test_given_a_wedge_sending_ctrl_bracket_as_gs_when_scanning_then_the_fields_split(
    page: Page, site: Site
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    net = site.network
    field = page.get_by_label("Scan or type a code")
    page.keyboard.type(f"]d201{net.gtin}17{net.expiry:%y%m%d}10{net.lot}")
    page.keyboard.press("Control+BracketRight")
    assert field.input_value().endswith(f"{net.lot}\x1d")
    verdict = wedge_scan(page, "21SN0006X")
    expect(verdict).to_have_attribute("data-light", "green")
    expect(verdict).to_contain_text("SN0006X")


def test_given_an_unknown_serial_when_scanned_then_the_verdict_is_red(
    page: Page, site: Site
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    verdict = wedge_scan(page, wedge_text(site, "NOPE999"))
    expect(verdict).to_have_attribute("data-light", "red")
    expect(verdict.locator("#verdict-code")).to_have_text("UNKNOWN_SERIAL")
    expect(page.get_by_role("button", name="Dispense", exact=True)).to_be_hidden()
    shot(page, "verdict-red-unknown-serial")


def test_given_another_pharmacys_pack_when_scanned_then_the_verdict_is_not_in_custody(
    page: Page, site: Site
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_b"])
    verdict = wedge_scan(page, wedge_text(site, "SN0007X"))
    expect(verdict).to_have_attribute("data-light", "red")
    expect(verdict.locator("#verdict-code")).to_have_text("NOT_IN_CUSTODY")
    expect(verdict).to_contain_text("did not reach you through the registered supply chain")
    shot(page, "verdict-red-not-in-custody")


@pytest.mark.parametrize(
    ("typed", "result"),
    [
        ("hello world", "INVALID_CODE"),
        ("]d201095060001343", "INVALID_CODE"),  # truncated element string
        ("]d20109506000134350", "INVALID_CODE"),  # wrong GTIN check digit
    ],
    ids=["not-gs1", "truncated", "check-digit"],
)
def test_given_bad_input_when_scanned_then_an_amber_verdict_says_why(
    page: Page, site: Site, typed: str, result: str
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    verdict = wedge_scan(page, typed)
    expect(verdict).to_have_attribute("data-light", "amber")
    expect(verdict.locator("#verdict-code")).to_have_text(result)
    expect(verdict.locator("#verdict-reasons li").first).not_to_be_empty()
    if typed == "hello world":
        shot(page, "verdict-amber-invalid-code")


def test_given_a_green_verdict_when_dispensed_and_undone_then_the_pack_is_active_again(
    page: Page, site: Site
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    code = wedge_text(site, "SN0008X")
    verdict = wedge_scan(page, code)
    expect(verdict).to_have_attribute("data-light", "green")

    page.get_by_role("button", name="Dispense", exact=True).click()
    expect(verdict).to_have_attribute("data-dispensed", "yes")
    expect(page.locator("#action-result")).to_contain_text("Dispensed")
    shot(page, "dispensed")

    again = wedge_scan(page, code)  # a re-scan of the pack just dispensed here
    expect(again).not_to_have_attribute("data-light", "green")
    expect(page.get_by_role("button", name="Dispense", exact=True)).to_be_hidden()
    shot(page, "verdict-rescan-after-dispense")
    page.get_by_role("button", name="Undo dispense").click()
    expect(page.locator("#action-result")).to_contain_text("Dispense undone")

    after = wedge_scan(page, code)
    expect(after).to_have_attribute("data-light", "green")


def test_the_app_is_an_installable_pwa_with_a_strict_csp(page: Page, site: Site) -> None:
    response = page.goto("/scanner")
    assert response is not None
    assert page.url.endswith("/scanner/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert "unsafe-inline" not in csp
    manifest = page.request.get("/scanner/manifest.webmanifest").json()
    assert manifest["start_url"] == "/scanner/"
    assert manifest["display"] == "standalone"
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(r => !!r.active)", polling=100, timeout=10_000
    )
    cached = page.evaluate(
        "caches.open('pt-scanner-shell-v1').then(c => c.keys()).then(k => k.map(r => r.url))"
    )
    assert any(url.endswith("/scanner/vendor/zxing_reader.wasm") for url in cached)
    assert page.request.get("/scanner/../pyproject.toml").status == 404
    assert page.request.get("/scanner/vendor/package.json").status == 404


def test_given_a_recalled_batch_when_a_pack_is_scanned_then_red_with_the_recall_reason(
    page: Page, site: Site
) -> None:
    net = site.network
    batches.change_batch_status(
        net.rt,
        actor=net.maker,
        gtin=net.gtin,
        lot=net.lot,
        status="recalled",
        reason="Contamination found in stability testing",
    )
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    verdict = wedge_scan(page, wedge_text(site, "SN0009X"))
    expect(verdict).to_have_attribute("data-light", "red")
    expect(verdict.locator("#verdict-code")).to_have_text("BATCH_RECALLED")
    expect(
        verdict.locator("dd", has_text="Contamination found in stability testing")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Dispense", exact=True)).to_be_hidden()
    shot(page, "verdict-red-recalled")


def test_given_the_focus_on_a_button_when_a_wedge_scans_then_the_scan_goes_to_the_field(
    page: Page, site: Site
) -> None:
    scanner_sign_in(page, site.tokens["pharmacy_a"])
    first = wedge_scan(page, wedge_text(site, "SN0012X"))
    expect(first).to_have_attribute("data-light", "green")
    page.get_by_role("button", name="Dispense", exact=True).focus()

    second = wedge_scan(page, wedge_text(site, "SN0013X"))  # its Enter must not dispense
    expect(second).to_contain_text("SN0013X")
    expect(second).to_have_attribute("data-light", "green")
    assert second.get_attribute("data-dispensed") is None
