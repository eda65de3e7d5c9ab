"""GET /api/v1/notifications over a real uvicorn: recalls reach every organization at once,
alerts only regulators; resuming with Last-Event-ID; refusals; keep-alives; revoked tokens."""

from __future__ import annotations

import time

import httpx
import pytest

from services.auth.tokens import revoke_token
from services.domain import packs
from services.notifications import stream
from tests.integration.notifications.conftest import Served
from tests.integration.notifications.support import SseListener

pytestmark = pytest.mark.integration

API = "/api/v1"


def recall(served: Served, who: str = "maker", reason: str = "Glass particles found") -> float:
    net = served.network
    response = httpx.post(
        f"{served.base}{API}/batches/{net.gtin}/{net.lot}/status",
        json={"action": "recall", "reason": reason},
        headers=served.auth(who),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return time.perf_counter()


def test_given_open_streams_when_a_batch_is_recalled_then_every_organization_hears_it_within_2_s(
    served: Served,
) -> None:
    net = served.network
    with (
        SseListener(served.base, served.tokens["pharmacy_a"]) as pharmacy,
        SseListener(served.base, served.tokens["wholesaler"]) as wholesaler,
        SseListener(served.base, served.tokens["regulator"]) as regulator,
    ):
        assert pharmacy.status == 200
        assert pharmacy.content_type.startswith("text/event-stream")
        for listener in (pharmacy, wholesaler, regulator):
            listener.next("ready")
        recalled_at = recall(served, "regulator")
        for listener in (pharmacy, wholesaler, regulator):
            event = listener.next("batch-status", timeout=2.0)
            assert event.received - recalled_at < 2.0
            assert event.data["gtin"] == net.gtin
            assert event.data["lot"] == net.lot
            assert event.data["status"] == "recalled"
            assert event.data["reason"] == "Glass particles found"
            assert event.data["by"] == "RegulatorMSP"
            assert event.data["product"]  # the product's name, for the banner
            assert event.data["tx_id"]
            assert event.id == f"{event.data['block']}.{event.data['tx_index']}.0"


def test_given_a_stream_that_dropped_when_it_resumes_with_last_event_id_then_it_gets_what_it_missed(
    served: Served,
) -> None:
    with SseListener(served.base, served.tokens["pharmacy_b"]) as first:
        ready = first.next("ready")
    assert ready.id is not None
    recall(served, reason="Mislabelled strength")
    with SseListener(served.base, served.tokens["pharmacy_b"], last_event_id=ready.id) as again:
        missed = again.next("batch-status")
        resumed = again.next("ready")
    assert missed.data["reason"] == "Mislabelled strength"
    assert resumed.data["resumed"] is True
    assert resumed.id == missed.id
    # Resuming from the newest id replays nothing.
    with SseListener(served.base, served.tokens["pharmacy_b"], last_event_id=missed.id) as last:
        last.next("ready")
        assert [e.event for e in last.seen] == ["ready"]


def test_given_a_token_that_is_not_ours_when_streaming_then_401_json(served: Served) -> None:
    with SseListener(served.base, None) as anonymous:
        pass
    with SseListener(served.base, "pt_not-a-real-token") as unknown:
        pass
    for listener in (anonymous, unknown):
        assert listener.status == 401
        assert listener.body
        assert b'"code":"UNAUTHENTICATED"' in listener.body.replace(b" ", b"")


def test_given_a_quiet_stream_then_keep_alives_and_a_revoked_token_ends_it(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.2)
    with SseListener(served.base, served.tokens["pharmacy_a"]) as listener:
        listener.next("ready")
        assert listener.next("comment").data["text"] == "keep-alive"
        assert revoke_token(served.network.rt, served.tokens["pharmacy_a"])
        ended = listener.next("signed-out", timeout=15)
    assert "no longer valid" in ended.data["reason"]


def test_given_live_detection_when_a_dispensed_serial_is_scanned_elsewhere_then_only_regulators_hear_the_clone_alert(  # noqa: E501
    served: Served,
) -> None:
    net = served.network
    net.rt.start_detection()
    code = net.code(net.serials[0])
    with (
        SseListener(served.base, served.tokens["regulator"]) as regulator,
        SseListener(served.base, served.tokens["pharmacy_b"]) as pharmacy,
    ):
        regulator.next("ready")
        pharmacy.next("ready")
        packs.decommission(net.rt, actor=net.pharmacy_a, code=code)
        net.clock.advance(hours=1)
        scanned = httpx.post(
            f"{served.base}{API}/verify",
            json={"code": code},
            headers=served.auth("pharmacy_b"),
            timeout=30,
        )
        assert scanned.status_code == 200, scanned.text
        alert = regulator.next("alert", timeout=10)
        assert alert.data["rule"] == "clone"
        assert alert.data["severity"] == "critical"
        assert alert.data["serial"] == net.serials[0]
        assert net.serials[0] in alert.data["sentence"]
        assert alert.id is not None
        assert alert.id.endswith(f".{alert.data['seq']}")
        # Another status change after the alert reaches the pharmacy: its stream is alive, and
        # had the alert been sent to it, it would have come first.
        recall(served)
        pharmacy.next("batch-status")
        assert "alert" not in {e.event for e in pharmacy.seen}
