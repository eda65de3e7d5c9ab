"""Importing batches from a CSV file on the manufacturer page, in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from services.domain import batches
from tests.e2e.conftest import Site
from tests.e2e.support import screenshot, sign_in

pytestmark = pytest.mark.e2e


def upload(page: Page, path: Path) -> None:
    form = page.get_by_role("region", name="Import batches from a file")
    form.get_by_label("CSV or Excel file").set_input_files(str(path))
    form.get_by_role("button", name="Import file").click()


def finished_import(page: Page) -> None:
    expect(page.locator("#import-status [data-job-state]")).to_have_attribute(
        "data-job-state", "done", timeout=30_000
    )


def test_when_uploading_a_csv_then_its_batches_are_committed(
    page: Page, site: Site, tmp_path: Path
) -> None:
    gtin = site.network.gtin
    export = tmp_path / "erp-export.csv"
    export.write_text(
        f"gtin,lot,expiry,quantity\n{gtin},IMP-001,2028-03-31,30\n{gtin},IMP-002,2028-04-30,45\n"
    )
    sign_in(page, site.tokens["maker"])

    upload(page, export)
    finished_import(page)

    report = page.locator("#import-status")
    expect(report.get_by_role("status")).to_contain_text("erp-export.csv: 2 rows read.")
    expect(report.get_by_role("status")).to_contain_text("2 batches committed")
    expect(report.locator(".import-batches tbody th")).to_have_text(["IMP-001", "IMP-002"])
    expect(report.locator(".outcome-committed")).to_have_count(2)
    expect(page.locator("article[data-lot='IMP-001'] .quantity")).to_have_text("30")
    expect(page.locator("article[data-lot='IMP-002'] .quantity")).to_have_text("45")
    assert batches.get_batch(site.network.rt, gtin, "IMP-002")[0].quantity == 45
    screenshot(page, "04-import-committed")


def test_when_uploading_a_bad_csv_then_each_row_problem_is_listed_and_nothing_bad_commits(
    page: Page, site: Site, tmp_path: Path
) -> None:
    gtin = site.network.gtin
    export = tmp_path / "bad-export.csv"
    export.write_text(
        "gtin,lot,expiry,quantity\n"
        f"{gtin},GOOD-1,2028-03-31,10\n"
        f"{gtin[:-1]}0,BAD-GTIN,2028-03-31,10\n"
        f"{gtin},BAD-DATE,2028-02-30,10\n"
        f"{gtin},BAD-QTY,2028-03-31,many\n"
    )
    sign_in(page, site.tokens["maker"])

    upload(page, export)
    finished_import(page)

    report = page.locator("#import-status")
    expect(report.get_by_role("status")).to_contain_text("4 rows read")
    expect(report.get_by_role("status")).to_contain_text("3 skipped because of errors")
    errors = report.locator(".import-errors")
    expect(errors.get_by_role("caption")).to_contain_text("Rows with problems (3)")
    expect(errors.locator("tbody tr td:first-child")).to_have_text(["3", "4", "5"])
    expect(errors.locator("tbody tr td:nth-child(2)")).to_have_text(["gtin", "expiry", "quantity"])
    assert batches.get_batch(site.network.rt, gtin, "GOOD-1")[0].quantity == 10
    expect(page.locator("article[data-lot='BAD-GTIN']")).to_have_count(0)
    screenshot(page, "06-import-row-errors")


def test_when_uploading_a_file_that_is_not_an_export_then_the_file_problem_shows(
    page: Page, site: Site, tmp_path: Path
) -> None:
    export = tmp_path / "notes.csv"
    export.write_text("name,colour\nwidget,blue\n")
    sign_in(page, site.tokens["maker"])

    upload(page, export)

    alert = page.locator("#import-status").get_by_role("alert")
    expect(alert).to_contain_text("INVALID_FILE", timeout=30_000)
    expect(alert.locator(".problems li").first).to_contain_text("Row 1")
