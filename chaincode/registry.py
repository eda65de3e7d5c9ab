"""Who may trade: organizations (regulator-registered) and their products.

The very first registration bootstraps the channel: the caller registers itself as the regulator.
From then on only a licensed regulator registers organizations and changes licences, and only a
licensed manufacturer registers products, each GTIN once.
"""

from __future__ import annotations

import math

from chaincode import args, identifiers
from chaincode.context import META, ORG, PRODUCT, Record, TxContext
from chaincode.errors import ContractError, ErrorCode
from chaincode.model import LicenceStatus, Role


def register_organization(ctx: TxContext, body: args.Request) -> Record:
    msp_id = args.text(body, "msp_id", max_len=64)
    role = args.choice(body, "role", Role)
    args.choice(body, "licence_status", LicenceStatus, default="active")
    bootstrapping = ctx.get(META, "bootstrap") is None
    if bootstrapping:
        if (
            msp_id != ctx.msp_id
            or role is not Role.REGULATOR
            or body.get("licence_status", "active") != "active"
        ):
            raise ContractError(
                ErrorCode.FORBIDDEN_ROLE,
                "The channel is not bootstrapped: the first organization must be the caller "
                "itself, registered as an active regulator.",
            )
    else:
        ctx.licensed_caller(Role.REGULATOR)
    if ctx.organization(msp_id) is not None:
        raise ContractError(ErrorCode.ORGANIZATION_EXISTS, f"{msp_id} is already registered.")
    org: Record = {
        "msp_id": msp_id,
        "name": args.text(body, "name"),
        "role": str(role),
        "gln": args.gln(body, "gln"),
        "locations": _locations(body),
        "licence_status": str(args.choice(body, "licence_status", LicenceStatus, default="active")),
        "licence_number": args.text(body, "licence_number", required=False, max_len=64),
        "address": args.text(body, "address", required=False),
        "country": args.text(body, "country", required=False, max_len=2),
        "latitude": _coordinate(body, "latitude", 90),
        "longitude": _coordinate(body, "longitude", 180),
        "registered_at": ctx.now_iso,
    }
    ctx.put(ORG, (msp_id,), org)
    if bootstrapping:
        ctx.put(META, ("bootstrap",), {"regulator": msp_id, "at": ctx.now_iso})
    ctx.emit("OrganizationRegistered", {"organization": org})
    return org


def _locations(body: args.Request) -> list[str]:
    """Further premises (GLNs) of the organization besides its main GLN."""
    values = args.string_list(body, "locations", max_items=50)
    if not all(identifiers.is_gln(value) for value in values):
        raise args.invalid(
            "Every entry of 'locations' must be a 13-digit GLN with a valid check digit."
        )
    return sorted(set(values))


def _coordinate(body: args.Request, field: str, bound: int) -> float | None:
    value = body.get(field)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) > bound
    ):
        raise args.invalid(f"Field '{field}' must be a number between -{bound} and {bound}.")
    return float(value)


def set_licence_status(ctx: TxContext, body: args.Request) -> Record:
    ctx.licensed_caller(Role.REGULATOR)
    msp_id = args.text(body, "msp_id", max_len=64)
    if msp_id == ctx.msp_id:
        raise ContractError(
            ErrorCode.FORBIDDEN_ROLE,
            "A regulator cannot change its own licence; another regulator must.",
        )
    org = ctx.organization(msp_id)
    if org is None:
        raise ContractError(ErrorCode.UNKNOWN_ORGANIZATION, f"{msp_id} is not registered.")
    org = {**org, "licence_status": str(args.choice(body, "licence_status", LicenceStatus))}
    ctx.put(ORG, (msp_id,), org)
    ctx.emit(
        "LicenceStatusChanged",
        {"organization": org, "reason": args.text(body, "reason", required=False)},
    )
    return org


def register_product(ctx: TxContext, body: args.Request) -> Record:
    ctx.licensed_caller(Role.MANUFACTURER)
    gtin = args.gtin(body)
    existing = ctx.get(PRODUCT, gtin)
    if existing is not None:
        raise ContractError(
            ErrorCode.PRODUCT_EXISTS,
            f"GTIN {gtin} is already registered by {existing['manufacturer']}.",
        )
    product: Record = {
        "gtin": gtin,
        "name": args.text(body, "name"),
        "form": args.text(body, "form", required=False, max_len=64),
        "strength": args.text(body, "strength", required=False, max_len=64),
        "pack_size": args.text(body, "pack_size", required=False, max_len=64),
        "national_code": args.text(body, "national_code", required=False, max_len=20),
        "manufacturer": ctx.msp_id,
        "registered_at": ctx.now_iso,
    }
    ctx.put(PRODUCT, (gtin,), product)
    ctx.emit("ProductRegistered", {"product": product})
    return product


def premises(caller: Record, body: args.Request, field: str = "location") -> str:
    """The GLN of the premises acting: one of the caller's registered locations."""
    location = args.gln(body, field, required=False) or caller["gln"]
    if location != caller["gln"] and location not in caller.get("locations", []):
        raise ContractError(
            ErrorCode.NOT_OWN_PREMISES,
            f"Location {location} is not registered as premises of {caller['msp_id']}.",
        )
    return location


def organization_or_refuse(ctx: TxContext, msp_id: str) -> Record:
    org = ctx.get(ORG, msp_id)
    if org is None:
        raise ContractError(ErrorCode.UNKNOWN_ORGANIZATION, f"{msp_id} is not registered.")
    return org
