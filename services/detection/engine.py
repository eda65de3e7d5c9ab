"""Bulk detection: load the read model into DataFrames, run every rule, store the alerts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, col, select

from services.detection.data import Frames, load
from services.detection.rules import Finding, RuleSet, iso
from services.detection.tables import Alert
from services.readmodel.db import writer
from services.runtime import Runtime


@dataclass
class Report:
    findings: list[Finding]
    seconds: dict[str, float]  # per rule, plus "load"


def run_rules(frames: Frames, now: datetime, rules: RuleSet | None = None) -> Report:
    import time

    rules = rules or RuleSet()
    findings: list[Finding] = []
    seconds: dict[str, float] = {}
    for rule in rules.rules:
        started = time.perf_counter()
        findings.extend(rule.run(frames, now))
        seconds[rule.name] = time.perf_counter() - started
    findings.sort(key=lambda f: (not f.certain, -f.score, f.first_seen))
    return Report(findings, seconds)


def detect(rt: Runtime, rules: RuleSet | None = None) -> Report:
    """Every rule over the whole read model (bulk mode)."""
    import time

    started = time.perf_counter()
    frames = load(rt.engine)
    loaded = time.perf_counter() - started
    report = run_rules(frames, rt.now(), rules)
    report.seconds = {"load": loaded, **report.seconds}
    return report


def ensure_table(rt: Runtime) -> None:
    table: Table = Alert.__table__  # type: ignore[attr-defined]
    table.create(rt.engine, checkfirst=True)


def store(rt: Runtime, findings: list[Finding]) -> tuple[int, int]:
    """Upsert alerts by key; an investigator's status is kept. Returns (new, updated)."""
    ensure_table(rt)
    now = iso(rt.now())
    new = updated = 0
    # BEGIN IMMEDIATE (SQLite): take the write lock before reading, so a scan committed in
    # between cannot make SQLite refuse the upgrade to a write.
    with Session(writer(rt.engine)) as session:
        for f in findings:
            fields: dict[str, Any] = {
                "rule": f.rule,
                "severity": f.severity,
                "score": f.score,
                "certain": f.certain,
                "gtin": f.gtin,
                "lot": f.lot,
                "serial": f.serial,
                "msp_id": f.msp_id,
                "sentence": f.sentence,
                "evidence": json.dumps(f.evidence),
                "first_seen": f.first_seen,
                "last_seen": f.last_seen,
                "detected_at": now,
            }
            existing = session.get(Alert, f.key)
            if existing is None:
                session.add(Alert(key=f.key, **fields))
                new += 1
            else:
                for name, value in fields.items():
                    setattr(existing, name, value)
                updated += 1
        session.commit()
    return new, updated


def list_alerts(rt: Runtime, *, status: str | None = None) -> list[Alert]:
    ensure_table(rt)
    with Session(rt.engine) as session:
        query = select(Alert).order_by(col(Alert.certain).desc(), col(Alert.score).desc())
        if status:
            query = query.where(Alert.status == status)
        return list(session.exec(query).all())
