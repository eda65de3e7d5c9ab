"""The demo: every planted problem and the genuine pack get exactly their expected verdict."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from services.auth.tokens import authenticate
from services.config import Settings
from services.demo import DemoResult, build_demo, demo_runtime
from services.domain.verification import verify
from services.gs1 import is_valid_gln, is_valid_gtin, parse_code
from services.readmodel.tables import Product, Scan
from services.runtime import Runtime
from tests.integration.cli.conftest import Cli, ok

pytestmark = pytest.mark.integration

PLANTED = {"ALREADY_DISPENSED", "BATCH_RECALLED", "NOT_IN_CUSTODY", "PACK_EXPIRED", "OK"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, DemoResult]]:
    rt = demo_runtime(Settings(data_dir=tmp_path_factory.mktemp("demo")))
    steps: list[str] = []
    result = build_demo(rt, packs_per_batch=50, progress=lambda step, _d, _t: steps.append(step))
    assert {"network", "batches", "supply chain", "api tokens"} <= set(steps)
    yield rt, result
    rt.close()


def test_given_the_demo_when_each_sample_is_scanned_by_its_user_then_the_verdict_is_as_expected(
    demo: tuple[Runtime, DemoResult],
) -> None:
    rt, result = demo
    assert {sample.expected_result for sample in result.samples} >= PLANTED
    for sample in result.samples:
        actor = authenticate(rt, result.user_of(sample.scan_as).token)
        for code in (sample.element_string, sample.digital_link, sample.human_readable):
            verdict = verify(rt, actor=actor, code=code)
            assert (verdict.result, verdict.light) == (
                sample.expected_result,
                sample.expected_light,
            ), (sample.label, code, verdict.reasons)


def test_given_the_demo_samples_then_codes_carry_group_separators_and_links_are_digital_links(
    demo: tuple[Runtime, DemoResult],
) -> None:
    _rt, result = demo
    for sample in result.samples:
        assert "\x1d" in sample.element_string
        assert sample.digital_link.startswith("https://id.gs1.org/01/")
        by_string = parse_code(sample.element_string).identifier
        assert by_string == parse_code(sample.digital_link).identifier


def test_given_the_planted_problems_then_each_dispense_attempt_was_refused_by_the_contract(
    demo: tuple[Runtime, DemoResult],
) -> None:
    _rt, result = demo
    refused = {(incident.msp_id, incident.error) for incident in result.incidents}

    assert refused == {
        ("MunichApoMSP", "ALREADY_DISPENSED"),
        ("ParisPharmaMSP", "BATCH_RECALLED"),
        ("MarseillePharmaMSP", "NOT_CUSTODIAN"),
        ("MunichApoMSP", "BATCH_EXPIRED"),
    }


def test_given_the_outside_supply_chain_scan_then_it_is_in_the_scan_log(
    demo: tuple[Runtime, DemoResult],
) -> None:
    rt, _result = demo
    with rt.session() as session:
        logged = session.exec(
            select(Scan).where(Scan.msp_id == "MarseillePharmaMSP", Scan.result == "NOT_IN_CUSTODY")
        ).all()

    assert logged


def test_given_the_demo_network_then_identifiers_are_valid_and_the_clock_reached_now(
    demo: tuple[Runtime, DemoResult],
) -> None:
    rt, result = demo
    with rt.session() as session:
        gtins = [product.gtin for product in session.exec(select(Product)).all()]

    assert len(result.organizations) == 9
    assert {o.role for o in result.organizations} == {
        "regulator",
        "manufacturer",
        "distributor",
        "pharmacy",
    }
    assert all(is_valid_gln(o.gln) for o in result.organizations)
    assert len(gtins) == 6
    assert all(is_valid_gtin(gtin) for gtin in gtins)
    assert len({u.token for u in result.users}) == len(result.organizations)
    started = datetime.fromisoformat(result.started_at)
    ended = datetime.fromisoformat(result.ended_at)
    assert ended - started > timedelta(days=119)
    assert abs(datetime.now(UTC) - ended) < timedelta(minutes=5)


def test_given_a_demo_result_when_written_as_json_then_it_reads_back_equal(
    demo: tuple[Runtime, DemoResult],
) -> None:
    _rt, result = demo

    assert DemoResult.from_json(result.to_json()) == result


def test_given_a_directory_that_is_not_a_demo_when_the_demo_resets_it_then_it_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "ledger.sqlite").write_text("real data")

    result = cli("demo", "--no-serve", "--dir", str(precious))

    assert result.exit_code == 2
    assert result.stderr.startswith("error NOT_A_DEMO_DIRECTORY:")
    assert (precious / "ledger.sqlite").read_text() == "real data"


def test_given_a_built_demo_when_run_with_no_reset_then_it_is_reused_not_rebuilt(
    cli: Cli, tmp_path: Path
) -> None:
    directory = tmp_path / "demo"
    built = ok(cli("demo", "--no-serve", "--dir", str(directory), "--packs-per-batch", "20"))
    first = DemoResult.from_json((directory / "demo.json").read_text())

    reused = ok(cli("demo", "--no-serve", "--no-reset", "--dir", str(directory)))

    assert DemoResult.from_json((directory / "demo.json").read_text()) == first
    assert "Reusing the demo" in reused.stderr
    for user in first.users:
        assert user.token in built.stdout
    assert "\\u001d" in built.stdout  # curl bodies carry the GS JSON-escaped
