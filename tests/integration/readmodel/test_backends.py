"""SQLite and PostgreSQL read models of the same history hold the same contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.readmodel.tables import DERIVED_TABLES
from tests.integration.readmodel.support import OFF_CHAIN_TABLES, build_scenario, dump, normalized

pytestmark = pytest.mark.integration


@pytest.mark.postgres
def test_given_the_same_scenario_on_sqlite_and_postgresql_when_indexed_then_the_read_models_agree(
    tmp_path: Path, pg_database_url: str
) -> None:
    contents = {}
    for name, url in (("sqlite", ""), ("postgres", pg_database_url)):
        net = build_scenario(tmp_path / name, url)
        try:
            assert net.rt.engine.dialect.name == ("sqlite" if name == "sqlite" else "postgresql")
            contents[name] = normalized(dump(net.rt.engine, [*DERIVED_TABLES, *OFF_CHAIN_TABLES]))
        finally:
            net.rt.close()

    on_sqlite, on_postgres = contents["sqlite"], contents["postgres"]
    for table in on_sqlite:
        assert on_postgres[table] == on_sqlite[table], table
    assert sum(len(rows) for rows in on_sqlite.values()) > 50


def test_given_two_runs_of_the_scenario_on_sqlite_when_normalized_then_they_agree(
    tmp_path: Path,
) -> None:
    """Control for the test above: the normalization removes exactly what differs between runs."""
    runs = []
    for name in ("first", "second"):
        net = build_scenario(tmp_path / name)
        try:
            raw = dump(net.rt.engine)
            runs.append((raw, normalized(raw)))
        finally:
            net.rt.close()

    (raw_a, clean_a), (raw_b, clean_b) = runs
    assert raw_a["LedgerEvent"] != raw_b["LedgerEvent"]  # transaction ids differ between runs
    assert clean_a == clean_b
