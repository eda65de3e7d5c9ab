"""Fixtures of the read-model tests: the scenario on SQLite or on the local PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.readmodel.support import build_scenario
from tests.support.network import SmallNetwork


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A read-model URL: a fresh SQLite file, or a fresh schema in the test PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'readmodel.sqlite'}"
    url: str = request.getfixturevalue("pg_database_url")
    return url


@pytest.fixture
def scenario(tmp_path: Path, database_url: str) -> Iterator[SmallNetwork]:
    """The read-model scenario (tests.integration.readmodel.support) on `database_url`."""
    net = build_scenario(tmp_path / "data", database_url)
    yield net
    net.rt.close()


@pytest.fixture
def sqlite_scenario(tmp_path: Path) -> Iterator[SmallNetwork]:
    net = build_scenario(tmp_path / "data")
    yield net
    net.rt.close()
