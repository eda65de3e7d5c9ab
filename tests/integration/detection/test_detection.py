"""Detection over a generated chain: every planted pattern found, the noise left alone.

Precision and recall per rule are printed (pytest -s) and asserted to be 1.0.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from services.cli.main import app
from services.detection.engine import detect, list_alerts, store
from services.detection.rules import Finding, InTransitTooLongRule, RuleSet
from services.detection.tables import Alert
from tests.integration.detection.chain import Planted, build_detection_chain

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planted]:
    chain = build_detection_chain(tmp_path_factory.mktemp("detect") / "data")
    yield chain
    chain.net.rt.close()


def label(finding: Finding) -> str:
    """What a finding is about, in the terms of the chain's ground truth."""
    if finding.rule == "custody_without_shipment":
        return f"{finding.msp_id}|{finding.lot}"
    if finding.rule == "recalled_in_use":
        return f"{finding.lot}|{finding.msp_id}"
    if finding.rule in ("quantity_drift", "in_transit_too_long"):
        return finding.evidence[0].removeprefix("shipment:")
    return str(finding.serial)


def scores(planted: Planted) -> dict[str, tuple[float, float, set[str], set[str]]]:
    findings = detect(planted.net.rt).findings
    out = {}
    for rule in RuleSet().names():
        found = {label(f) for f in findings if f.rule == rule}
        expected = planted.expected[rule]
        hits = found & expected
        precision = len(hits) / len(found) if found else 1.0
        recall = len(hits) / len(expected) if expected else 1.0
        out[rule] = (precision, recall, found, expected)
    return out


def test_every_planted_pattern_is_found_and_no_noise(planted: Planted) -> None:
    results = scores(planted)
    print("\nrule                        precision  recall  found")
    for rule, (precision, recall, found, _expected) in results.items():
        print(f"{rule:<28}{precision:>9.2f}{recall:>8.2f}  {sorted(found)}")
    for rule, (precision, recall, found, expected) in results.items():
        assert expected, f"{rule}: nothing planted"
        assert recall == 1.0, f"{rule}: missed {sorted(expected - found)}"
        assert precision == 1.0, f"{rule}: false alarms {sorted(found - expected)}"
        assert not (found & planted.noise[rule]), rule


def test_alerts_explain_themselves(planted: Planted) -> None:
    findings = detect(planted.net.rt).findings
    by_rule = {f.rule: f for f in findings}
    clone = by_rule["clone"]
    assert clone.certain
    assert clone.severity == "critical"
    assert "Apotheke Mitte" in clone.sentence
    assert "copy of its code" in clone.sentence
    assert clone.evidence[0].startswith("event:")
    assert any(e.startswith("scan:") for e in clone.evidence)
    travel = by_rule["impossible_travel"]
    assert not travel.certain
    assert 0.5 < travel.score <= 1.0
    assert "km away" in travel.sentence
    assert "Farmacia Sol" in travel.sentence
    for finding in findings:
        assert finding.sentence.endswith((".", ")")), finding.sentence
        assert 0.0 < finding.score <= 1.0
        assert finding.evidence


def test_thresholds_are_configurable(planted: Planted) -> None:
    strict = RuleSet([InTransitTooLongRule(max_days=2.5)])
    found = {label(f) for f in detect(planted.net.rt, strict).findings}
    assert planted.noise["in_transit_too_long"] <= found, "the 3-day receipt is late at 2.5 days"
    assert RuleSet().only(["clone"]).names() == ["clone"]
    with pytest.raises(ValueError, match="unknown rules"):
        RuleSet().only(["nope"])


def test_stored_alerts_keep_their_status(planted: Planted) -> None:
    rt = planted.net.rt
    findings = detect(rt).findings
    assert store(rt, findings) == (len(findings), 0)
    clone = next(a for a in list_alerts(rt) if a.rule == "clone")
    with Session(rt.engine) as session:
        row = session.get(Alert, clone.key)
        assert row is not None
        row.status = "investigating"
        session.add(row)
        session.commit()
    assert store(rt, detect(rt).findings) == (0, len(findings))
    assert [a.status for a in list_alerts(rt) if a.rule == "clone"] == ["investigating"]
    assert json.loads(clone.evidence)[0].startswith("event:")
    assert len(list_alerts(rt, status="open")) == len(findings) - 1


def test_cli_prints_the_alerts(planted: Planted) -> None:
    data_dir = planted.net.rt.settings.data_dir
    result = CliRunner(env={"COLUMNS": "250"}).invoke(
        app, ["--data-dir", str(data_dir), "detect", "--no-save"]
    )
    assert result.exit_code == 0, result.output
    for rule in RuleSet().names():
        assert rule in result.output
    assert "8 rules in" in result.output
    incremental = CliRunner(env={"COLUMNS": "250"}).invoke(
        app, ["--data-dir", str(data_dir), "detect", "--new"]
    )
    assert incremental.exit_code == 0, incremental.output
    assert "cursor advanced" in incremental.output
    bad = CliRunner().invoke(app, ["--data-dir", str(data_dir), "detect", "--rule", "nope"])
    assert bad.exit_code == 2
