"""Downloading a batch's label sheet (PDF) and one pack's label (PNG) from the page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Site
from tests.e2e.support import screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_when_downloading_labels_then_a_pdf_sheet_and_a_decodable_png_arrive(
    page: Page, site: Site, tmp_path: Path
) -> None:
    net = site.network
    sign_in(page, site.tokens["maker"])
    batch = page.locator(f"article[data-lot='{net.lot}']")
    sheet_link = batch.get_by_role("link", name="Label sheet PDF (A4)")
    expect(sheet_link).to_be_visible()
    screenshot(page, "07-labels-links")

    with page.expect_download() as download_info:
        sheet_link.click()
    download = download_info.value
    assert download.suggested_filename == f"labels-{net.gtin}-{net.lot}-A4.pdf"
    sheet = tmp_path / "sheet.pdf"
    download.save_as(sheet)
    pdf = sheet.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")

    sheet_answer = page.request.get(sheet_link.get_attribute("href") or "")
    assert sheet_answer.status == 200
    assert sheet_answer.headers["content-type"] == "application/pdf"
    assert sheet_answer.body().startswith(b"%PDF-")

    pack_link = batch.get_by_role("link", name=f"Pack {net.serials[0]} (PNG)")
    png_answer = page.request.get(pack_link.get_attribute("href") or "")
    assert png_answer.status == 200
    assert png_answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(png_answer.body()))
    image.load()
    assert image.format == "PNG"
    texts = {result.format.name: result.text for result in zxingcpp.read_barcodes(image)}
    assert texts["DataMatrix"] == (
        f"(01){net.gtin}(17){net.expiry:%y%m%d}(10){net.lot}(21){net.serials[0]}"
    )
    assert texts["QRCode"].startswith(f"https://id.gs1.org/01/{net.gtin}/10/{net.lot}/21/")


def test_given_the_json_api_when_asking_labels_then_bearer_tokens_and_404s_apply(
    page: Page, site: Site
) -> None:
    net = site.network
    api = f"/api/v1/batches/{net.gtin}/{net.lot}"
    bearer = {"Authorization": f"Bearer {site.tokens['maker']}"}

    sheet = page.request.get(f"{api}/labels.pdf?paper=Letter", headers=bearer)
    assert sheet.status == 200
    assert sheet.headers["content-type"] == "application/pdf"
    unknown_serial = page.request.get(f"{api}/labels/NOSUCHSERIAL.png", headers=bearer)
    assert unknown_serial.status == 404
    assert unknown_serial.json()["code"] == "UNKNOWN_SERIAL"
    unknown_batch = page.request.get(
        f"/api/v1/batches/{net.gtin}/NOSUCHLOT/labels.pdf", headers=bearer
    )
    assert unknown_batch.status == 404
    assert unknown_batch.json()["code"] == "UNKNOWN_BATCH"
    other_maker = {"Authorization": f"Bearer {site.tokens['maker2']}"}
    refused = page.request.get(f"{api}/labels.pdf", headers=other_maker)
    assert refused.status == 403
    assert refused.json()["code"] == "NOT_BATCH_OWNER"
    # The page's cookie is not an API credential: the JSON API stays Bearer-only.
    sign_in(page, site.tokens["maker"])
    assert page.request.get(f"{api}/labels.pdf").status == 401
