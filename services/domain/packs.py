"""Dispense (decommission) a pack and undo it, proving its membership to the contract."""

from __future__ import annotations

from sqlmodel import select

from services.domain import guards
from services.domain.codes import locate_serial, parse_pack_code
from services.readmodel.tables import Pack
from services.runtime import Actor, Committed, Runtime


def decommission(rt: Runtime, *, actor: Actor, code: str, status: str = "supplied") -> Committed:
    """Set a pack's status (supplied = dispensed to the patient); the contract checks custody."""
    pack = parse_pack_code(code)
    serial = locate_serial(rt, pack)
    guards.custodian_of_pack(rt, actor, serial.gtin, serial.lot, serial.serial)
    siblings = rt.serials.proof(serial.gtin, serial.lot, serial.leaf_index)
    body = {
        "gtin": serial.gtin,
        "lot": serial.lot,
        "serial": serial.serial,
        "status": status,
        "proof": {"index": serial.leaf_index, "siblings": [s.hex() for s in siblings]},
    }
    if actor.location:
        body["location"] = actor.location
    return rt.submit(actor.msp_id, "Decommission", body)


def undo(rt: Runtime, *, actor: Actor, code: str) -> Committed:
    """Revert a decommissioning (EU rules: 10 days, same organization and premises)."""
    pack = parse_pack_code(code)
    serial = locate_serial(rt, pack)
    guards.undoer_of_pack(rt, actor, serial.gtin, serial.serial)
    body = {"gtin": serial.gtin, "serial": serial.serial}
    if actor.location:
        body["location"] = actor.location
    return rt.submit(actor.msp_id, "UndoDecommission", body)


def get_pack(rt: Runtime, gtin: str, serial: str) -> Pack | None:
    with rt.session() as session:
        return session.get(Pack, (gtin, serial))


def list_packs(rt: Runtime, *, msp_id: str, limit: int = 200) -> list[Pack]:
    with rt.session() as session:
        return list(session.exec(select(Pack).where(Pack.msp_id == msp_id).limit(limit)))
