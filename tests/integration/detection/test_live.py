"""Live detection: the worker raises the clone alert as the scan that causes it is recorded, and
concurrent runs (several server processes) never double an alert or move the cursor back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from services.config import Settings
from services.detection.incremental import detect_new
from services.detection.notices import AlertNotice
from services.detection.tables import Alert, DetectionCursor
from services.domain import packs, verification
from services.errors import PharmaTraceError
from services.readmodel.tables import LedgerEvent, Scan
from services.runtime import Runtime
from tests.support.network import SmallNetwork, build_small_network

pytestmark = pytest.mark.integration


def wait_for(condition: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not callable(condition) or not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.02)


def clone_alerts(rt: Runtime) -> list[Alert]:
    with Session(rt.engine) as session:
        return list(session.exec(select(Alert).where(Alert.rule == "clone")).all())


def notices(rt: Runtime) -> list[AlertNotice]:
    with Session(rt.engine) as session:
        return list(session.exec(select(AlertNotice)).all())


def dispense_at_two_pharmacies(net: SmallNetwork, serial: str) -> None:
    """Pharmacy A dispenses the pack; a copy of its code is presented at pharmacy B, which scans
    it and tries to dispense it too (the contract refuses: B holds none of the batch)."""
    code = net.code(serial)
    verification.verify(net.rt, actor=net.pharmacy_a, code=code)
    packs.decommission(net.rt, actor=net.pharmacy_a, code=code)
    net.clock.advance(hours=3)
    verification.verify(net.rt, actor=net.pharmacy_b, code=code)
    with pytest.raises(PharmaTraceError):
        packs.decommission(net.rt, actor=net.pharmacy_b, code=code)


def test_given_the_worker_when_one_serial_is_dispensed_at_two_pharmacies_then_a_clone_alert_and_one_notice(  # noqa: E501
    network: SmallNetwork,
) -> None:
    network.rt.start_detection()
    assert network.rt.detection is not None
    dispense_at_two_pharmacies(network, network.serials[1])
    wait_for(lambda: clone_alerts(network.rt))
    [alert] = clone_alerts(network.rt)
    assert alert.serial == network.serials[1]
    assert "Pharmacie du Centre" in alert.sentence
    wait_for(lambda: any(n.key == alert.key for n in notices(network.rt)))
    worker = network.rt.detection
    wait_for(lambda: worker.idle)
    runs = worker.runs
    # A quiet stretch: the worker does not run again, and nothing is announced twice.
    time.sleep(1.0)
    assert worker.runs == runs
    assert [n.key for n in notices(network.rt) if n.rule == "clone"] == [alert.key]


def test_given_live_detection_off_then_the_worker_only_relays(tmp_path: Path) -> None:
    rt = Runtime(Settings(data_dir=tmp_path / "data", live_detection=False))
    try:
        rt.start_indexer()
        rt.scan_recorded()
        time.sleep(0.6)
        assert rt.detection is not None
        assert rt.detection.runs == 0
    finally:
        rt.close()


def test_given_two_processes_when_both_run_detection_at_once_then_alerts_are_not_doubled(
    network: SmallNetwork,
) -> None:
    concurrent_runs_do_not_double(network)


@pytest.mark.postgres
def test_given_two_processes_on_postgresql_when_both_run_detection_at_once_then_alerts_are_not_doubled(  # noqa: E501
    tmp_path: Path, pg_database_url: str
) -> None:
    net = build_small_network(tmp_path / "data", pg_database_url)
    try:
        assert net.rt.engine.dialect.name == "postgresql"
        concurrent_runs_do_not_double(net)
    finally:
        net.rt.close()


def concurrent_runs_do_not_double(network: SmallNetwork) -> None:
    dispense_at_two_pharmacies(network, network.serials[2])
    other = Runtime(network.rt.settings, clock=network.clock)  # a second server process
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run(rt: Runtime) -> None:
        try:
            start.wait()
            detect_new(rt)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=run, args=(rt,)) for rt in (network.rt, other) * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert len(clone_alerts(network.rt)) == 1
        keys = [n.key for n in notices(network.rt)]
        assert len(keys) == len(set(keys))
        with Session(network.rt.engine) as session:
            cursor = session.get(DetectionCursor, 1)
            last_scan = session.exec(select(func.max(Scan.id))).one()
            last_event = session.exec(
                select(func.max(LedgerEvent.block * 100_000 + LedgerEvent.tx_index))
            ).one()
        assert cursor is not None
        assert (cursor.scan_id, cursor.block * 100_000 + cursor.tx_index) == (last_scan, last_event)
    finally:
        other.close()
