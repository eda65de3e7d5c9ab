"""`alert` notices: new detection alerts, for regulators only.

Alerts may be created in any process (services/detection/notices.py keeps the outbox), so each
process relays the outbox rows after the last one it published (`AlertRelay.poll`, called by its
detection worker after every run and on every idle tick). History is not replayed on start: the
relay begins at the newest notice; a client that reconnects asks for what it missed (`since`).
"""

from __future__ import annotations

from sqlalchemy import Engine

from services.detection import notices as outbox
from services.notifications.hub import Notice, NotificationHub

KIND = "alert"
AUDIENCE = frozenset({"regulator"})
RESUME_LIMIT = 200
POLL_LIMIT = 500


def notice(row: outbox.AlertNotice) -> Notice:
    return Notice(
        KIND,
        (row.seq or 0,),
        {
            "key": row.key,
            "rule": row.rule,
            "severity": row.severity,
            "sentence": row.sentence,
            "gtin": row.gtin,
            "lot": row.lot,
            "serial": row.serial,
            "detected_at": row.detected_at,
            "seq": row.seq,
        },
        AUDIENCE,
    )


def newest(engine: Engine) -> int:
    """The newest alert notice's number (0: none yet)."""
    return outbox.last_seq(engine)


def since(engine: Engine, seq: int) -> tuple[list[Notice], bool]:
    """Alert notices after `seq`, and whether more than `RESUME_LIMIT` were missed."""
    outbox.ensure_table(engine)
    rows = outbox.since(engine, seq, RESUME_LIMIT + 1)
    return [notice(r) for r in rows[:RESUME_LIMIT]], len(rows) > RESUME_LIMIT


class AlertRelay:
    """Publishes the outbox's new rows to this process's hub, each once."""

    def __init__(self, engine: Engine, hub: NotificationHub) -> None:
        self._engine = engine
        self._hub = hub
        self.last_seq = newest(engine)

    def poll(self) -> int:
        rows = outbox.since(self._engine, self.last_seq, POLL_LIMIT)
        if rows:
            self.last_seq = rows[-1].seq or self.last_seq
            self._hub.publish([notice(r) for r in rows])
        return len(rows)
