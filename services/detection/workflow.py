"""An alert's workflow: open → investigating → confirmed | false_alarm, with notes.

    open ──▶ investigating ──▶ confirmed      (a counterfeit or a real diversion)
      ▲           │      └───▶ false_alarm    (what the rules saw has an innocent explanation)
      └───────────┴── reopen ◀── confirmed | false_alarm   (new evidence; a note is required)

Every step is an `AlertNote` row (who, when, from, to, why), written in the same transaction as
the status change; the change itself is a compare-and-set on the status the regulator saw, so two
regulators deciding the same alert at once cannot both succeed (the second gets 409). Re-running
detection refreshes an alert's evidence but never its status (services.detection.engine.store).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from sqlalchemy import Engine, Table, update
from sqlmodel import Session, col, select

from services.detection.rules import iso
from services.detection.tables import Alert, AlertNote
from services.errors import PharmaTraceError, invalid, not_found
from services.runtime import Actor, Runtime

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("investigating",),
    "investigating": ("confirmed", "false_alarm", "open"),
    "confirmed": ("open",),
    "false_alarm": ("open",),
}
DECIDED = ("confirmed", "false_alarm")
MAX_NOTE = 2000
_READY: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines whose tables were checked


def ensure_tables(rt: Runtime) -> None:
    """The alert and note tables exist (detection may never have run on this database)."""
    if rt.engine in _READY:
        return
    alerts: Table = Alert.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass
    notes: Table = AlertNote.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass
    for table in (alerts, notes):
        table.create(rt.engine, checkfirst=True)
    _READY.add(rt.engine)


@dataclass(frozen=True)
class Step:
    """What a transition did: the alert as it is now and the note recorded."""

    alert: Alert
    note: AlertNote


def _conflict(code: str, message: str) -> PharmaTraceError:
    return PharmaTraceError(code, message, status=409)


def _needs_note(current: str, target: str) -> bool:
    """Decisions and reopenings must say why; starting an investigation need not."""
    return target in DECIDED or current in DECIDED


def _checked_note(note: str) -> str:
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise invalid("NOTE_TOO_LONG", f"A note is at most {MAX_NOTE} characters.")
    return text


def get_alert(rt: Runtime, key: str) -> Alert:
    ensure_tables(rt)
    with Session(rt.engine) as session:
        alert = session.get(Alert, key)
    if alert is None:
        raise not_found("UNKNOWN_ALERT", f"There is no alert {key!r}.")
    return alert


def history(rt: Runtime, key: str) -> list[AlertNote]:
    """The alert's notes, oldest first."""
    ensure_tables(rt)
    with Session(rt.engine) as session:
        query = (
            select(AlertNote)
            .where(AlertNote.alert_key == key)
            .order_by(col(AlertNote.at), col(AlertNote.id))
        )
        return list(session.exec(query).all())


def transition(rt: Runtime, *, actor: Actor, key: str, status: str, note: str = "") -> Step:
    """Move alert `key` to `status`, recording who, when and why.

    404 UNKNOWN_ALERT; 422 INVALID_STATUS, NOTE_REQUIRED, NOTE_TOO_LONG; 409
    INVALID_TRANSITION (not allowed from the current status) or ALERT_CHANGED (another regulator
    changed it first). Nothing is written unless everything holds.
    """
    text = _checked_note(note)
    if status not in TRANSITIONS:
        raise invalid(
            "INVALID_STATUS", f"{status!r} is not an alert status: {', '.join(TRANSITIONS)}."
        )
    current = get_alert(rt, key).status
    if status not in TRANSITIONS[current]:
        allowed = " or ".join(TRANSITIONS[current])
        raise _conflict(
            "INVALID_TRANSITION",
            f"An alert that is {current} cannot become {status}; it can become {allowed}.",
        )
    if _needs_note(current, status) and not text:
        raise invalid("NOTE_REQUIRED", f"Say why the alert becomes {status}: a note is required.")
    return _record(rt, actor, key, current, status, text)


def add_note(rt: Runtime, *, actor: Actor, key: str, note: str) -> Step:
    """A note on the alert without changing its status (what an investigator found so far)."""
    text = _checked_note(note)
    if not text:
        raise invalid("NOTE_REQUIRED", "The note is empty.")
    current = get_alert(rt, key).status
    return _record(rt, actor, key, current, current, text)


def _record(rt: Runtime, actor: Actor, key: str, current: str, status: str, text: str) -> Step:
    entry = AlertNote(
        alert_key=key,
        at=iso(rt.now()),
        msp_id=actor.msp_id,
        user=actor.user,
        from_status=current,
        to_status=status,
        note=text,
    )
    with Session(rt.engine) as session:
        changed = session.exec(
            update(Alert)
            .where(col(Alert.key) == key, col(Alert.status) == current)
            .values(status=status)
        )
        if changed.rowcount != 1:
            session.rollback()
            raise _conflict(
                "ALERT_CHANGED",
                f"Someone else changed this alert while you looked at it (it was {current}). "
                "Reload it and decide again.",
            )
        session.add(entry)
        session.commit()
        session.refresh(entry)
        alert = session.get(Alert, key)
    assert alert is not None  # updated just now in this transaction
    return Step(alert, entry)
