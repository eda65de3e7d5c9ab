"""Shared fixtures: a fresh small network per test, on SQLite or on the local PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.network import SmallNetwork, build_small_network

PG_URL_ENV = "PHARMATRACE_TEST_PG_URL"


@pytest.fixture
def network(tmp_path: Path) -> Iterator[SmallNetwork]:
    """The small supply chain of tests.support.network on SQLite."""
    net = build_small_network(tmp_path / "data")
    yield net
    net.rt.close()


def postgres_url() -> str:
    """URL of the test PostgreSQL (scripts/postgres.sh start); tests needing it fail without it."""
    url = os.environ.get(PG_URL_ENV, "")
    if not url:
        pytest.fail(
            f"{PG_URL_ENV} is not set: run the tests through `make test`, which starts "
            "the local PostgreSQL (scripts/postgres.sh)."
        )
    return url


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """A fresh, empty schema in the test PostgreSQL for one test."""
    import uuid

    import sqlalchemy as sa

    base = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
