"""Organizations: bootstrap the channel's regulator, register trading partners, list them."""

from __future__ import annotations

from sqlmodel import select

from services.errors import invalid
from services.identity import create_organization, is_valid_msp_id
from services.readmodel.tables import Organization
from services.runtime import Actor, Committed, Runtime, require


def ensure_identity(rt: Runtime, msp_id: str) -> None:
    """Embedded ledger only: create the organization's CA and service user if missing."""
    create_organization(rt.settings.msp_dir, msp_id)


def register_organization(
    rt: Runtime,
    *,
    actor: Actor,
    msp_id: str,
    name: str,
    role: str,
    gln: str,
    licence_status: str = "active",
    licence_number: str = "",
    address: str = "",
    country: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Committed:
    """Register a trading partner (the regulator's act); the first call bootstraps the channel.

    Embedded ledger: the new organization's CA and service identity are created once the
    contract has accepted it, so a refused registration leaves nothing behind.
    """
    require(
        is_valid_msp_id(msp_id),
        invalid(
            "INVALID_MSP_ID",
            f"{msp_id!r} is not a valid MSP ID: use 1–64 letters, digits, '.', "
            "'-' or '_', starting with a letter or digit.",
        ),
    )
    body = {
        "msp_id": msp_id,
        "name": name,
        "role": role,
        "gln": gln,
        "licence_status": licence_status,
        "licence_number": licence_number or None,
        "address": address or None,
        "country": country or None,
        "latitude": latitude,
        "longitude": longitude,
    }
    committed = rt.submit(
        actor.msp_id, "RegisterOrganization", {k: v for k, v in body.items() if v is not None}
    )
    ensure_identity(rt, msp_id)
    return committed


def bootstrap_regulator(
    rt: Runtime,
    *,
    msp_id: str,
    name: str,
    gln: str,
    address: str = "",
    country: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> Committed:
    """The channel's first transaction: the regulator registers itself (so it signs first)."""
    ensure_identity(rt, msp_id)
    actor = Actor(msp_id=msp_id, role="regulator")
    return register_organization(
        rt,
        actor=actor,
        msp_id=msp_id,
        name=name,
        role="regulator",
        gln=gln,
        address=address,
        country=country,
        latitude=latitude,
        longitude=longitude,
    )


def set_licence_status(
    rt: Runtime, *, actor: Actor, msp_id: str, licence_status: str, reason: str = ""
) -> Committed:
    return rt.submit(
        actor.msp_id,
        "SetLicenceStatus",
        {"msp_id": msp_id, "licence_status": licence_status, "reason": reason or None},
    )


def list_organizations(rt: Runtime, *, role: str | None = None) -> list[Organization]:
    with rt.session() as session:
        query = select(Organization).order_by(Organization.msp_id)
        if role:
            query = query.where(Organization.role == role)
        return list(session.exec(query))


def get_organization(rt: Runtime, msp_id: str) -> Organization | None:
    with rt.session() as session:
        return session.get(Organization, msp_id)
