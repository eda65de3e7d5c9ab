"""What is committed: valid batches only, each whole or not at all, and never twice."""

from __future__ import annotations

import pytest

from services.domain import batch_import, batches
from services.errors import PharmaTraceError
from tests.integration.batch_import.conftest import (
    BATCH_HEADER,
    EXPIRY,
    PACK_HEADER,
    batch_row,
    csv_bytes,
    lots,
    problems,
    run_import,
    serial_count,
    serials_of,
    statuses,
    xlsx_bytes,
)
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def test_a_failing_batch_commits_nothing_while_the_valid_ones_commit(
    network: SmallNetwork,
) -> None:
    g = network.gtin
    rows = [
        PACK_HEADER,
        [g, "A", EXPIRY, "A1"],
        [g, "B", EXPIRY, "B1"],
        [g, "A", EXPIRY, "A2"],
        [g, "B", EXPIRY, "B 2"],  # the only bad row, in batch B
        [g, "C", EXPIRY, "C1"],
        [g, "B", EXPIRY, "B3"],
    ]
    height = network.rt.ledger.height()
    serials_before = serial_count(network)

    report = run_import(network, csv_bytes(rows))

    assert problems(report) == [(5, "serial", "INVALID_SERIAL")]
    assert statuses(report) == {"A": "committed", "B": "skipped_invalid", "C": "committed"}
    skipped = next(batch for batch in report.batches if batch.lot == "B")
    assert (skipped.first_row, skipped.rows, skipped.tx_id) == (3, 3, None)
    assert "1 error" in skipped.message
    assert (report.committed, report.skipped_invalid, report.error_count) == (2, 1, 1)
    assert network.rt.ledger.height() == height + 2
    assert lots(network) == ["A", "C", "LOT001"]
    assert serials_of(network, g, "B") == []
    assert serial_count(network) == serials_before + 3


@pytest.mark.parametrize(
    ("rows", "filename"),
    [
        ([PACK_HEADER, ["{g}", "R1", EXPIRY, "001"], ["{g}", "R1", EXPIRY, "002"]], "p.csv"),
        ([PACK_HEADER, ["{g}", "R1", EXPIRY, "001"], ["{g}", "R2", EXPIRY, "002"]], "p.xlsx"),
        ([BATCH_HEADER, ["{g}", "R1", EXPIRY, "30"], ["{g}", "R2", EXPIRY, "5"]], "b.csv"),
        ([BATCH_HEADER, ["{g}", "R1", EXPIRY, "30"]], "b.xlsx"),
    ],
)
def test_importing_the_same_file_again_writes_nothing(
    network: SmallNetwork, rows: list[list[str]], filename: str
) -> None:
    cells = [[cell.format(g=network.gtin) for cell in row] for row in rows]
    data = xlsx_bytes(cells) if filename.endswith(".xlsx") else csv_bytes(cells)
    first = run_import(network, data, filename)
    assert first.error_count == 0, first.errors
    assert {b.status for b in first.batches} == {"committed"}
    height = network.rt.ledger.height()
    serials = {b.lot: serials_of(network, network.gtin, b.lot) for b in first.batches}

    again = run_import(network, data, filename)

    assert again.error_count == 0, again.errors
    assert {b.status for b in again.batches} == {"already_registered"}
    assert [(b.tx_id, b.block) for b in again.batches] == [
        (b.tx_id, b.block) for b in first.batches
    ]
    assert network.rt.ledger.height() == height
    assert {b.lot: serials_of(network, network.gtin, b.lot) for b in again.batches} == serials
    staged = list(network.rt.settings.serial_tree_dir.rglob("*.staged"))
    assert staged == []


def test_a_fixed_file_commits_the_rest(network: SmallNetwork) -> None:
    g = network.gtin
    bad = [PACK_HEADER, [g, "F1", EXPIRY, "F-1"], [g, "F2", EXPIRY, "F-2"], [g, "F2", "x", "F-3"]]
    first = run_import(network, csv_bytes(bad))
    assert statuses(first) == {"F1": "committed", "F2": "skipped_invalid"}

    bad[3][2] = EXPIRY
    second = run_import(network, csv_bytes(bad))

    assert second.error_count == 0
    assert statuses(second) == {"F1": "already_registered", "F2": "committed"}
    assert serials_of(network, g, "F2") == ["F-2", "F-3"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([BATCH_HEADER, ["{g}", "LOT001", "{expiry}", "41"]], "with 40 packs, not 41"),
        ([BATCH_HEADER, ["{g}", "LOT001", "2029-01-31", "40"]], "with expiry"),
        ([PACK_HEADER, ["{g}", "LOT001", "{expiry}", "SN0000X"]], "with 40 packs, not 1"),
    ],
)
def test_a_batch_registered_with_other_content_is_an_error(
    network: SmallNetwork, rows: list[list[str]], message: str
) -> None:
    expiry = network.expiry.isoformat()
    cells = [[cell.format(g=network.gtin, expiry=expiry) for cell in row] for row in rows]
    height = network.rt.ledger.height()

    report = run_import(network, csv_bytes(cells))

    assert problems(report) == [(2, "lot", "BATCH_EXISTS")]
    assert message in report.errors[0].message
    assert network.rt.ledger.height() == height


def test_other_serials_for_a_registered_batch_are_an_error(network: SmallNetwork) -> None:
    expiry = network.expiry.isoformat()
    serials = [*network.serials[:-1], "OTHER"]
    rows = [PACK_HEADER, *([network.gtin, network.lot, expiry, s] for s in serials)]

    report = run_import(network, csv_bytes(rows))

    assert problems(report) == [(2, "lot", "BATCH_EXISTS")]
    assert "other serial numbers" in report.errors[0].message


def test_the_same_serials_as_the_registered_batch_are_already_registered(
    network: SmallNetwork,
) -> None:
    expiry = network.expiry.isoformat()
    rows = [PACK_HEADER, *([network.gtin, network.lot, expiry, s] for s in network.serials)]

    report = run_import(network, csv_bytes(rows))

    assert report.error_count == 0
    assert statuses(report) == {network.lot: "already_registered"}


def test_a_registration_cut_short_is_completed(
    network: SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token committed but the serials were not stored (a crash): the import finishes it."""
    g = network.gtin

    def crash(*_args: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(network.rt.serials, "save", crash)
        with pytest.raises(RuntimeError):
            batches.register_batch(
                network.rt,
                actor=network.maker,
                gtin=g,
                lot="CUT",
                expiry=network.expiry,
                serials=["X1", "X2"],
            )
    assert serials_of(network, g, "CUT") == []
    height = network.rt.ledger.height()
    expiry = network.expiry.isoformat()

    report = run_import(
        network, csv_bytes([PACK_HEADER, [g, "CUT", expiry, "X1"], [g, "CUT", expiry, "X2"]])
    )

    assert report.error_count == 0, report.errors
    assert statuses(report) == {"CUT": "already_registered"}
    assert serials_of(network, g, "CUT") == ["X1", "X2"]
    assert network.rt.ledger.height() == height


def test_a_batch_the_ledger_refuses_is_reported_failed(
    network: SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = batch_import.register_batch

    def flaky(rt: object, **kwargs: object) -> batches.RegisteredBatch:
        if kwargs["lot"] == "DOWN":
            raise PharmaTraceError("LEDGER_UNAVAILABLE", "unreachable", status=503, retryable=True)
        return real(rt, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch_import, "register_batch", flaky)
    g = network.gtin
    rows = [
        BATCH_HEADER,
        [g, "UP1", EXPIRY, "2"],
        [g, "DOWN", EXPIRY, "2"],
        [g, "UP2", EXPIRY, "2"],
    ]

    report = run_import(network, csv_bytes(rows))

    assert statuses(report) == {"UP1": "committed", "DOWN": "failed", "UP2": "committed"}
    assert problems(report) == [(3, "", "LEDGER_UNAVAILABLE")]
    assert batch_row(network, g, "DOWN") is None


def test_progress_reports_rows_read_then_batches_committed(network: SmallNetwork) -> None:
    g = network.gtin
    rows = [BATCH_HEADER, *([g, f"PR{i}", EXPIRY, "1"] for i in range(3))]
    calls: list[tuple[int, int]] = []

    run_import(network, csv_bytes(rows), progress=lambda r, b: calls.append((r, b)))

    assert calls == [(3, 0), (3, 1), (3, 2), (3, 3)]


def test_the_error_list_is_capped_but_counted(network: SmallNetwork) -> None:
    rows = [PACK_HEADER, *([network.gtin, "CAP", EXPIRY, f"S {i}"] for i in range(5))]

    report = run_import(network, csv_bytes(rows), max_errors=3)

    assert (len(report.errors), report.error_count, report.errors_truncated) == (3, 5, True)
    assert [e.row for e in report.errors] == [2, 3, 4]
