"""The regulator's alert API over a planted set of alerts, on SQLite and PostgreSQL.

The planted alerts (tests.support.alerts) are stored through detection's own `store`; every
expected number below is counted by hand from `PLANTED`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from services.api import create_app
from services.detection.engine import store
from services.detection.tables import Alert, AlertNote
from tests.integration.api.support import API, TestClient, assert_error, tokens_for
from tests.support.alerts import PLANTED, finding, plant_alerts
from tests.support.network import SmallNetwork, build_small_network

pytestmark = pytest.mark.integration


@dataclass
class AlertSite:
    client: TestClient
    net: SmallNetwork
    tokens: dict[str, str]
    evidence: list[str]

    def headers(self, who: str = "regulator") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str = "regulator", **params: str) -> httpx.Response:
        return self.client.get(f"{API}{path}", params=params, headers=self.headers(who))

    def move(self, key: str, status: str, note: str = "", who: str = "regulator") -> httpx.Response:
        return self.client.post(
            f"{API}/alerts/{quote(key, safe='')}/transitions",
            json={"status": status, "note": note},
            headers=self.headers(who),
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AlertSite]:
    url = request.getfixturevalue("pg_database_url") if request.param == "postgres" else ""
    net = build_small_network(tmp_path / "data", url)
    evidence = plant_alerts(net)
    with TestClient(create_app(net.rt)) as client:
        yield AlertSite(client, net, tokens_for(net), evidence)
    net.rt.close()


def keys(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [a["key"] for a in response.json()["alerts"]]


def rows_of(site: AlertSite) -> dict[str, Alert]:
    from sqlmodel import Session, select

    with Session(site.net.rt.engine) as session:
        return {a.key: a for a in session.exec(select(Alert)).all()}


def notes_of(site: AlertSite) -> list[AlertNote]:
    from sqlmodel import Session, select

    with Session(site.net.rt.engine) as session:
        return list(session.exec(select(AlertNote)).all())


# -- listing and filters ---------------------------------------------------------------------


def test_given_planted_alerts_when_listing_then_newest_evidence_first_with_regions(
    site: AlertSite,
) -> None:
    response = site.get("/alerts")
    body = response.json()
    assert body["total"] == len(PLANTED)
    expected = [p.key for p in sorted(PLANTED, key=lambda p: p.last_seen, reverse=True)]
    assert [a["key"] for a in body["alerts"]] == expected
    by_key = {a["key"]: a for a in body["alerts"]}
    assert by_key["clone|s1"]["region"] == "DE"
    assert by_key["clone|s1"]["organization"] == "Apotheke Mitte"
    assert by_key["clone|s2"]["region"] == "FR"
    assert by_key["quantity_drift|shipment-1"]["region"] == "none"  # no country registered
    assert by_key["scan_velocity|s5"]["region"] == "none"  # about no organization
    assert by_key["clone|s1"]["evidence"] == site.evidence
    assert by_key["clone|s1"]["status"] == "open"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"rule": "clone"}, {"clone|s1", "clone|s2"}),
        ({"rule": "clone,unknown_serial"}, {"clone|s1", "clone|s2", "unknown_serial|s3"}),
        ({"severity": "high"}, {"unknown_serial|s3", "recalled_in_use|LOT001|ParisPharmMSP"}),
        ({"region": "de"}, {"clone|s1", "unknown_serial|s3"}),
        ({"region": "none"}, {"quantity_drift|shipment-1", "scan_velocity|s5"}),
        ({"msp_id": "ParisPharmMSP"}, {"clone|s2", "recalled_in_use|LOT001|ParisPharmMSP"}),
        (
            {"lot": "LOT001"},
            {"quantity_drift|shipment-1", "recalled_in_use|LOT001|ParisPharmMSP"},
        ),
        ({"serial": "SN0002X"}, {"clone|s2"}),
        ({"since": "2026-01-04"}, {k.key for k in PLANTED if k.last_seen >= "2026-01-04"}),
        ({"until": "2026-01-03"}, {"clone|s1", "clone|s2", "unknown_serial|s3"}),
        (
            {"since": "2026-01-03T11:30:00Z", "until": "2026-01-04T08:00:00Z"},
            {"unknown_serial|s3", "quantity_drift|shipment-1"},
        ),
        ({"status": "investigating"}, set()),
        ({"severity": "critical", "region": "FR"}, {"clone|s2"}),
        ({"rule": "", "region": ""}, {p.key for p in PLANTED}),  # blank form fields
    ],
)
def test_given_filters_when_listing_then_only_matching_alerts(
    site: AlertSite, params: dict[str, str], expected: set[str]
) -> None:
    response = site.get("/alerts", **params)
    assert set(keys(response)) == expected
    assert response.json()["total"] == len(expected)


def test_given_a_gtin_in_any_length_when_filtering_then_it_is_normalised(site: AlertSite) -> None:
    assert len(keys(site.get("/alerts", gtin=site.net.gtin[1:]))) == len(PLANTED)  # GTIN-13


def test_given_limit_and_offset_when_listing_then_pages_with_the_full_total(
    site: AlertSite,
) -> None:
    first = site.get("/alerts", limit="4").json()
    second = site.get("/alerts", limit="4", offset="4").json()
    assert first["total"] == second["total"] == len(PLANTED)
    assert len(first["alerts"]) == 4
    assert len(second["alerts"]) == len(PLANTED) - 4
    everything = [a["key"] for a in first["alerts"] + second["alerts"]]
    assert everything == keys(site.get("/alerts"))


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"rule": "cloned"}, "'cloned'"),
        ({"severity": "urgent"}, "'urgent'"),
        ({"status": "closed"}, "'closed'"),
        ({"region": "Germany"}, "region"),
        ({"gtin": "09506000134353"}, "gtin"),  # wrong check digit
        ({"msp_id": "../etc"}, "msp_id"),
        ({"lot": "x" * 21}, "lot"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"sevrity": "high"}, "'sevrity'"),
    ],
)
def test_given_a_malformed_filter_then_422_invalid_filter_naming_it(
    site: AlertSite, params: dict[str, str], names: str
) -> None:
    for path in ("/alerts", "/alerts/stats", "/alerts.csv"):
        body = assert_error(site.get(path, **params), 422, "INVALID_FILTER")
        assert names in body["message"], body


def test_given_non_regulators_when_asking_for_alerts_then_403_and_401(site: AlertSite) -> None:
    key = quote("clone|s1", safe="")
    for who in ("maker", "wholesaler", "pharmacy_a"):
        for path in ("/alerts", "/alerts/stats", "/alerts.csv", f"/alerts/{key}"):
            assert_error(site.get(path, who=who), 403, "FORBIDDEN_ROLE")
        assert_error(site.move("clone|s1", "investigating", who=who), 403, "FORBIDDEN_ROLE")
    assert_error(site.client.get(f"{API}/alerts"), 401, "UNAUTHENTICATED")
    assert rows_of(site)["clone|s1"].status == "open"
    assert notes_of(site) == []


# -- one alert and its workflow --------------------------------------------------------------


def test_given_an_alert_when_reading_it_then_evidence_notes_and_next_statuses(
    site: AlertSite,
) -> None:
    key = "recalled_in_use|LOT001|ParisPharmMSP"
    body = site.get(f"/alerts/{quote(key, safe='')}").json()
    assert body["key"] == key
    assert body["region"] == "FR"
    assert body["notes"] == []
    assert body["next_statuses"] == ["investigating"]
    assert_error(site.get("/alerts/clone%7Cnope"), 404, "UNKNOWN_ALERT")


def test_given_an_open_alert_when_investigated_then_decided_then_reopened_every_step_is_kept(
    site: AlertSite,
) -> None:
    key = "clone|s1"
    moved = site.move(key, "investigating", "Asked the pharmacy for the pack.")
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "investigating"
    assert moved.json()["next_statuses"] == ["confirmed", "false_alarm", "open"]
    site.net.clock.advance(hours=3)
    decided = site.move(key, "false_alarm", "Same pack scanned twice by a temp; CCTV checked.")
    assert decided.status_code == 200, decided.text
    site.net.clock.advance(days=1)
    reopened = site.move(key, "open", "A third scan in Munich.").json()
    assert reopened["status"] == "open"
    steps = [(n["from_status"], n["to_status"], n["note"]) for n in reopened["notes"]]
    assert steps == [
        ("open", "investigating", "Asked the pharmacy for the pack."),
        ("investigating", "false_alarm", "Same pack scanned twice by a temp; CCTV checked."),
        ("false_alarm", "open", "A third scan in Munich."),
    ]
    assert {n["msp_id"] for n in reopened["notes"]} == {"RegulatorMSP"}
    times = [n["at"] for n in reopened["notes"]]
    assert times == sorted(times)
    assert times[1][:10] == "2026-01-05"
    assert times[2][:10] == "2026-01-06"


@pytest.mark.parametrize(
    ("path", "status", "note", "code", "http"),
    [
        (["investigating"], "open", "x", None, 200),  # back to open from investigating is fine
        ([], "confirmed", "done", "INVALID_TRANSITION", 409),  # must investigate first
        ([], "false_alarm", "done", "INVALID_TRANSITION", 409),
        ([], "open", "", "INVALID_TRANSITION", 409),  # already open
        (["investigating"], "investigating", "", "INVALID_TRANSITION", 409),
        (["investigating"], "confirmed", "  ", "NOTE_REQUIRED", 422),
        (["investigating", "confirmed"], "false_alarm", "oops", "INVALID_TRANSITION", 409),
        (["investigating", "confirmed"], "open", "", "NOTE_REQUIRED", 422),
        ([], "closed", "", "INVALID_REQUEST", 422),  # not a status at all
    ],
)
def test_given_a_path_when_an_invalid_transition_is_asked_then_it_is_refused_and_nothing_changes(
    site: AlertSite, path: list[str], status: str, note: str, code: str | None, http: int
) -> None:
    key = "unknown_serial|s3"
    for step in path:
        assert site.move(key, step, "because").status_code == 200
    before_status, before_notes = rows_of(site)[key].status, len(notes_of(site))
    response = site.move(key, status, note)
    if code is None:
        assert response.status_code == http, response.text
        return
    assert_error(response, http, code)
    assert rows_of(site)[key].status == before_status
    assert len(notes_of(site)) == before_notes


def test_given_unknown_alert_or_bad_body_when_moving_then_404_or_422(site: AlertSite) -> None:
    assert_error(site.move("clone|nope", "investigating"), 404, "UNKNOWN_ALERT")
    response = site.client.post(
        f"{API}/alerts/{quote('clone|s1', safe='')}/transitions",
        json={"status": "investigating", "note": "x", "extra": 1},
        headers=site.headers(),
    )
    assert_error(response, 422, "INVALID_REQUEST")
    assert_error(site.move("clone|s1", "investigating", "x" * 2001), 422, "INVALID_REQUEST")
    assert notes_of(site) == []


def test_given_a_note_without_a_change_then_it_joins_the_history(site: AlertSite) -> None:
    key = quote("clone|s2", safe="")
    response = site.client.post(
        f"{API}/alerts/{key}/notes", json={"note": "Called the wholesaler."}, headers=site.headers()
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "open"
    assert response.json()["notes"][0]["from_status"] == response.json()["notes"][0]["to_status"]
    empty = site.client.post(f"{API}/alerts/{key}/notes", json={"note": ""}, headers=site.headers())
    assert_error(empty, 422, "INVALID_REQUEST")


def test_given_a_decided_alert_when_detection_runs_again_then_its_status_is_kept(
    site: AlertSite,
) -> None:
    site.move("clone|s1", "investigating")
    site.move("clone|s1", "confirmed", "Counterfeit: seized.")
    store(site.net.rt, [finding(PLANTED[0], site.net.gtin)])
    body = site.get(f"/alerts/{quote('clone|s1', safe='')}").json()
    assert body["status"] == "confirmed"
    assert len(body["notes"]) == 2


def test_given_two_regulators_deciding_at_once_then_the_second_gets_alert_changed(
    site: AlertSite,
) -> None:
    from services.detection import workflow

    key = "clone|s2"
    site.move(key, "investigating")
    stale = workflow.get_alert(site.net.rt, key).status
    site.move(key, "confirmed", "first")
    from services.errors import PharmaTraceError

    with pytest.raises(PharmaTraceError) as raised:  # the compare-and-set of a stale status
        workflow._record(site.net.rt, site.net.regulator, key, stale, "false_alarm", "second")
    assert raised.value.code == "ALERT_CHANGED"
    assert raised.value.status == 409
    assert rows_of(site)[key].status == "confirmed"
    assert len([n for n in notes_of(site) if n.alert_key == key]) == 2


# -- statistics ------------------------------------------------------------------------------


def test_given_planted_alerts_then_stats_count_by_rule_severity_region_and_day(
    site: AlertSite,
) -> None:
    stats = site.get("/alerts/stats").json()
    assert stats["total"] == 6
    assert stats["by_rule"] == {
        "clone": 2,
        "quantity_drift": 1,
        "recalled_in_use": 1,
        "scan_velocity": 1,
        "unknown_serial": 1,
    }
    assert stats["by_severity"] == {"critical": 2, "high": 2, "medium": 2}
    assert stats["by_region"] == {"DE": 2, "FR": 2, "none": 2}
    assert stats["by_status"] == {"open": 6}
    assert stats["by_day"] == {"2026-01-02": 1, "2026-01-03": 2, "2026-01-04": 3}
    assert stats["false_alert_rate"] is None
    assert stats["weekly"] == []
    filtered = site.get("/alerts/stats", region="FR").json()
    assert filtered["by_rule"] == {"clone": 1, "recalled_in_use": 1}


def test_given_decisions_over_two_weeks_then_the_false_alert_rate_by_week_and_overall(
    site: AlertSite,
) -> None:
    # Week 2026-W02 (the clock starts on Monday 5 January): 1 confirmed, 2 false alarms.
    for key, decision in [
        ("clone|s1", "confirmed"),
        ("clone|s2", "false_alarm"),
        ("unknown_serial|s3", "false_alarm"),
    ]:
        site.move(key, "investigating")
        assert site.move(key, decision, "decided").status_code == 200
    site.net.clock.advance(days=7)  # week 2026-W03: 1 confirmed, and s2 reopened
    site.move("scan_velocity|s5", "investigating")
    site.move("scan_velocity|s5", "confirmed", "Two pharmacies, one pack.")
    site.move("clone|s2", "open", "New scan")
    stats = site.get("/alerts/stats").json()
    assert (stats["confirmed"], stats["false_alarm"]) == (2, 1)
    assert stats["false_alert_rate"] == pytest.approx(1 / 3)
    assert stats["weekly"] == [
        {
            "week": "2026-W02",
            "confirmed": 1,
            "false_alarm": 1,  # s2's false alarm was undone by the reopening
            "rate": 0.5,
            "cumulative_rate": 0.5,
        },
        {
            "week": "2026-W03",
            "confirmed": 1,
            "false_alarm": 0,
            "rate": 0.0,
            "cumulative_rate": pytest.approx(1 / 3),
        },
    ]
    assert stats["by_status"] == {"confirmed": 2, "open": 3, "false_alarm": 1}


# -- CSV -------------------------------------------------------------------------------------


def test_given_filters_when_exporting_csv_then_the_same_alerts_as_rows(site: AlertSite) -> None:
    response = site.get("/alerts.csv", region="DE")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["key"] for r in rows] == keys(site.get("/alerts", region="DE"))
    clone = next(r for r in rows if r["key"] == "clone|s1")
    assert clone["region"] == "DE"
    assert clone["organization"] == "Apotheke Mitte"
    assert clone["severity"] == "critical"
    assert clone["status"] == "open"
    assert clone["evidence"] == " ".join(site.evidence)
    assert clone["gtin"] == site.net.gtin
    everything = list(csv.DictReader(io.StringIO(site.get("/alerts.csv").text)))
    assert len(everything) == len(PLANTED)


def test_given_a_sentence_like_a_formula_when_exported_then_it_is_neutralised(
    site: AlertSite,
) -> None:
    planted = finding(PLANTED[0], site.net.gtin)
    planted.sentence = '=HYPERLINK("http://evil")'
    store(site.net.rt, [planted])
    rows = list(csv.DictReader(io.StringIO(site.get("/alerts.csv", serial="SN0001X").text)))
    assert rows[0]["sentence"] == '\'=HYPERLINK("http://evil")'
