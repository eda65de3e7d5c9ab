"""The provenance report (services.reports.provenance_report) and its PDF and `?format=` downloads:
every event, shipment, scan and alert of the generated chain is in it, with its ledger evidence."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from pypdf import PdfReader
from sqlmodel import col, select

from services.api import create_app
from services.detection.engine import detect, store
from services.readmodel.tables import LedgerEvent, Scan
from services.reports.provenance_report import batch_report, pack_report
from tests.integration.api.support import API, TestClient, assert_error, tokens_for
from tests.integration.reports.chain import build_report_chain
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallNetwork]:
    net = build_report_chain(tmp_path_factory.mktemp("chain") / "data")
    store(net.rt, detect(net.rt).findings)
    yield net
    net.rt.close()


@pytest.fixture(scope="module")
def client(chain: SmallNetwork) -> Iterator[TestClient]:
    with TestClient(create_app(chain.rt)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def regulator(chain: SmallNetwork) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens_for(chain)['regulator']}"}


def _batch_events(chain: SmallNetwork) -> list[LedgerEvent]:
    with chain.rt.session() as session:
        return list(
            session.exec(
                select(LedgerEvent)
                .where(LedgerEvent.gtin == chain.gtin, LedgerEvent.lot == chain.lot)
                .order_by(col(LedgerEvent.block))
            ).all()
        )


def _pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_batch_report_holds_every_ledger_event_and_scan_in_time_order(
    chain: SmallNetwork,
) -> None:
    report = batch_report(chain.rt, chain.gtin, chain.lot)
    with chain.rt.session() as session:
        scans = session.exec(
            select(Scan).where(Scan.gtin == chain.gtin, Scan.lot == chain.lot)
        ).all()
    ledger = [e for e in report.timeline if e.kind == "ledger"]
    # every event of the batch, plus the shipments' events (they name the batch in their lines)
    assert {e.tx_id for e in _batch_events(chain)} <= {e.tx_id for e in ledger}
    assert report.counts["scans"] == len(scans) == 3
    assert report.counts["entries"] == len(report.timeline) == len(ledger) + 3
    assert [e.at for e in report.timeline] == sorted(e.at for e in report.timeline)
    assert all(e.block is not None and len(e.tx_id) == 64 for e in ledger)
    steps = [e.step for e in report.timeline]
    assert steps[0] == "commissioned"
    assert steps[-1] == "recalled"
    assert steps.count("shipped") == steps.count("received") == 4
    assert (report.batch_status, report.status_reason) == ("recalled", "Seal defect")
    assert {(s.result, s.light) for s in report.timeline if s.kind == "scan"} == {
        ("OK", "green"),
        ("ALREADY_DISPENSED", "red"),
        ("UNKNOWN_SERIAL", "red"),
    }


def test_custody_graph_runs_from_manufacturer_to_dispensed(chain: SmallNetwork) -> None:
    graph = batch_report(chain.rt, chain.gtin, chain.lot).graph
    columns = {key: node.column for key, node in graph.nodes.items()}
    assert columns["MakerMSP"] == 0
    assert columns["WholesaleMSP"] == 1
    assert columns["PharmacyAMSP"] == columns["PharmacyBMSP"] == 2
    edges = {(e.source, e.target): e for e in graph.edges}
    to_a = edges[("WholesaleMSP", "PharmacyAMSP")]
    assert (to_a.shipments, to_a.quantity, to_a.received) == (2, 13, 12)
    assert to_a.note == "1 short"
    # the undone dispensing of the third pack is not counted; the destroyed pack is
    assert edges[("PharmacyAMSP", "out:supplied")].quantity == 1
    assert edges[("PharmacyAMSP", "out:destroyed")].quantity == 1
    assert graph.nodes["out:supplied"].label == "Dispensed"


def test_alerts_about_the_batch_and_the_pack(chain: SmallNetwork) -> None:
    batch = batch_report(chain.rt, chain.gtin, chain.lot)
    assert batch.alerts, "the clone scan must have raised an alert"
    cloned = chain.serials[0]
    assert any(a.serial == cloned for a in batch.alerts)
    assert any(a.serial == cloned for a in pack_report(chain.rt, chain.gtin, cloned).alerts)
    quiet = pack_report(chain.rt, chain.gtin, chain.serials[5])
    assert all(a.serial != cloned for a in quiet.alerts)


def test_pack_report_leaves_other_packs_out(chain: SmallNetwork) -> None:
    report = pack_report(chain.rt, chain.gtin, chain.serials[0])
    sentences = " ".join(e.sentence for e in report.timeline)
    assert f"Pack {chain.serials[0]} dispensed." in sentences
    assert chain.serials[1] not in sentences  # destroyed: another pack
    assert report.pack_status == "supplied"
    assert [e.result for e in report.timeline if e.kind == "scan"] == ["ALREADY_DISPENSED"]


def test_batch_pdf_prints_every_event_with_its_ledger_reference(
    chain: SmallNetwork, client: TestClient, regulator: dict[str, str]
) -> None:
    response = client.get(
        f"{API}/provenance/batches/{chain.gtin}/{chain.lot}?format=pdf", headers=regulator
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    report = batch_report(chain.rt, chain.gtin, chain.lot)
    for entry in report.timeline:
        assert entry.step in text
        if entry.kind == "ledger":
            assert f"block {entry.block} · tx {entry.tx_index}" in text
            assert entry.tx_id[:24] in text
    assert len(re.findall(r"block \d+ · tx \d+", text)) == report.counts["ledger_events"]
    assert text.count("off-chain scan") == 3
    for words in ("Seal defect", "ALREADY_DISPENSED", "UNKNOWN_SERIAL", "Custody chain"):
        assert words in text
    same = client.get(f"{API}/provenance/batches/{chain.gtin}/{chain.lot}.pdf", headers=regulator)
    assert same.status_code == 200
    assert same.content.startswith(b"%PDF-")


def test_pack_pdf_route(chain: SmallNetwork, client: TestClient, regulator: dict[str, str]) -> None:
    serial = chain.serials[0]
    response = client.get(f"{API}/provenance/packs/{chain.gtin}/{serial}.pdf", headers=regulator)
    assert response.status_code == 200, response.text
    text = _pdf_text(response.content)
    assert f"Pack {serial}" in text
    assert "ALREADY_DISPENSED" in text
    assert f"Pack {chain.serials[1]} destroyed" not in text


def test_format_csv_and_epcis_answer_the_same_files_as_their_routes(
    chain: SmallNetwork, client: TestClient, regulator: dict[str, str]
) -> None:
    base = f"{API}/provenance/batches/{chain.gtin}/{chain.lot}"
    by_param = client.get(f"{base}?format=csv", headers=regulator)
    by_route = client.get(f"{base}.csv", headers=regulator)
    assert by_param.status_code == 200, by_param.text
    assert by_param.headers["content-type"].startswith("text/csv")
    assert by_param.text == by_route.text
    epcis = client.get(f"{base}?format=epcis", headers=regulator)
    assert epcis.headers["content-type"] == "application/ld+json"
    events = epcis.json()["epcisBody"]["eventList"]
    assert len(events) == len(
        client.get(f"{base}.epcis.json", headers=regulator).json()["epcisBody"]["eventList"]
    )
    as_json = client.get(f"{base}?format=json", headers=regulator)
    assert as_json.json()["batch"]["lot"] == chain.lot
    pack = client.get(
        f"{API}/provenance/packs/{chain.gtin}/{chain.serials[0]}?format=csv", headers=regulator
    )
    assert pack.status_code == 200
    assert chain.serials[0] in pack.text


def test_bad_format_is_422_and_unknown_ids_are_404(
    chain: SmallNetwork, client: TestClient, regulator: dict[str, str]
) -> None:
    base = f"{API}/provenance/batches/{chain.gtin}"
    assert_error(
        client.get(f"{base}/{chain.lot}?format=xml", headers=regulator), 422, "UNSUPPORTED_FORMAT"
    )
    assert_error(client.get(f"{base}/NOSUCH?format=pdf", headers=regulator), 404, "UNKNOWN_BATCH")
    assert_error(client.get(f"{base}/NOSUCH.pdf", headers=regulator), 404, "UNKNOWN_BATCH")
    packs = f"{API}/provenance/packs/{chain.gtin}"
    assert_error(client.get(f"{packs}/NOSUCH.pdf", headers=regulator), 404, "UNKNOWN_SERIAL")
    assert_error(
        client.get(f"{packs}/NOSUCH?format=epcis", headers=regulator), 404, "UNKNOWN_SERIAL"
    )
    maker = {"Authorization": f"Bearer {tokens_for(chain)['maker']}"}
    assert_error(client.get(f"{base}/{chain.lot}.pdf", headers=maker), 403, "FORBIDDEN_ROLE")


def test_a_never_registered_serial_has_a_report_saying_so(
    chain: SmallNetwork, client: TestClient, regulator: dict[str, str]
) -> None:
    report = pack_report(chain.rt, chain.gtin, "FAKE0001")
    assert (report.registered, report.pack_status, report.lot) == (False, "unknown", None)
    assert [e.result for e in report.timeline] == ["UNKNOWN_SERIAL"]
    response = client.get(f"{API}/provenance/packs/{chain.gtin}/FAKE0001.pdf", headers=regulator)
    assert response.status_code == 200, response.text
    text = _pdf_text(response.content)
    assert "NEVER REGISTERED" in text
    assert "UNKNOWN_SERIAL" in text
