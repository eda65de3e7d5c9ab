"""Alert notices: the outbox of new alerts, read by every server process's notification hub.

Detection may run in any process (a served worker, `pharmatrace detect --new`), but regulators'
open streams are spread over all of them. So a run records each alert it creates for the first
time as a row here, numbered in order (`seq`); every process polls for rows after the last one it
published. The alert key is unique, so an alert is announced at most once, whoever found it.
Off-chain, like the alerts themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, Table, func
from sqlmodel import Field, Session, SQLModel, col, select

from services.detection.rules import Finding
from services.detection.tables import Alert
from services.readmodel.db import writer

CHUNK = 500  # keys per IN (...) query


class AlertNotice(SQLModel, table=True):
    seq: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=300)
    rule: str = Field(max_length=64)
    severity: str
    sentence: str
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    detected_at: str


def ensure_table(engine: Engine) -> None:
    table: Table = AlertNotice.__table__  # type: ignore[attr-defined]
    table.create(engine, checkfirst=True)


def _chunks(keys: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def existing_alert_keys(engine: Engine, keys: Iterable[str]) -> set[str]:
    """Which of `keys` already have an alert (read before storing, to know what is new)."""
    wanted = sorted(set(keys))
    found: set[str] = set()
    with Session(engine) as session:
        for chunk in _chunks(wanted):
            found.update(session.exec(select(Alert.key).where(col(Alert.key).in_(chunk))).all())
    return found


def record(engine: Engine, findings: Iterable[Finding], detected_at: str) -> int:
    """One notice per finding whose key has none yet; returns how many were written.

    Callers hold the detection lease, so no other run writes notices meanwhile, and have made
    the table (`ensure_table`)."""
    fresh = {f.key: f for f in findings}
    if not fresh:
        return 0
    with Session(writer(engine)) as session:
        for chunk in _chunks(sorted(fresh)):
            announced = session.exec(
                select(AlertNotice.key).where(col(AlertNotice.key).in_(chunk))
            ).all()
            for key in announced:
                fresh.pop(key, None)
        for key, f in fresh.items():
            session.add(
                AlertNotice(
                    key=key,
                    rule=f.rule,
                    severity=f.severity,
                    sentence=f.sentence,
                    gtin=f.gtin,
                    lot=f.lot,
                    serial=f.serial,
                    detected_at=detected_at,
                )
            )
        session.commit()
    return len(fresh)


def last_seq(engine: Engine) -> int:
    ensure_table(engine)
    with Session(engine) as session:
        return session.exec(select(func.max(AlertNotice.seq))).one() or 0


def since(engine: Engine, seq: int, limit: int) -> list[AlertNotice]:
    """Notices after `seq`, oldest first, at most `limit`."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(AlertNotice)
                .where(col(AlertNotice.seq) > seq)
                .order_by(col(AlertNotice.seq))
                .limit(limit)
            ).all()
        )
