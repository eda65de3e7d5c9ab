"""The page session refuses forged requests: no CSRF token, another site, another's job."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Site
from tests.e2e.support import sign_in

pytestmark = pytest.mark.e2e


def test_given_a_signed_in_browser_when_a_request_lacks_the_csrf_token_then_nothing_changes(
    page: Page, site: Site
) -> None:
    net = site.network
    sign_in(page, site.tokens["maker"])  # the browser now holds the session cookie
    recall = f"/manufacturer/batches/{net.gtin}/{net.lot}/recall"
    height = net.rt.ledger.height()

    forged = page.request.post(recall, form={"reason": "forged"})
    assert forged.status == 403
    assert "CSRF_TOKEN_INVALID" in forged.text()

    csrf = page.locator("input[name=csrf]").input_value()
    cross_site = page.request.post(
        recall,
        form={"reason": "forged"},
        headers={"X-CSRF-Token": csrf, "Origin": "https://elsewhere.example"},
    )
    assert cross_site.status == 403
    assert "CROSS_SITE_REQUEST" in cross_site.text()
    assert net.rt.ledger.height() == height

    missing_reason = page.request.post(
        recall, form={"reason": "  "}, headers={"X-CSRF-Token": csrf}
    )
    assert missing_reason.status == 422
    assert "Reason for the recall is required." in missing_reason.text()
    assert net.rt.ledger.height() == height


def test_given_another_manufacturer_when_it_asks_for_a_batch_or_a_job_then_it_is_refused(
    page: Page, site: Site
) -> None:
    net = site.network
    sign_in(page, site.tokens["maker2"])
    base = f"/manufacturer/batches/{net.gtin}/{net.lot}"
    csrf = page.locator("input[name=csrf]").input_value()

    sheet = page.request.get(f"{base}/labels.pdf")
    assert sheet.status == 403
    assert "NOT_BATCH_OWNER" in sheet.text()
    recall = page.request.post(
        f"{base}/recall", form={"reason": "not mine"}, headers={"X-CSRF-Token": csrf}
    )
    assert recall.status == 403
    assert "NOT_BATCH_OWNER" in recall.text()
    unknown_job = page.request.get("/manufacturer/jobs/someone-elses-job")
    assert unknown_job.status == 404
    assert "UNKNOWN_JOB" in unknown_job.text()
