"""Products: a manufacturer registers its GTINs."""

from __future__ import annotations

from sqlmodel import select

from services.errors import invalid
from services.gs1 import is_valid_gtin, normalize_gtin
from services.readmodel.tables import Product
from services.runtime import Actor, Committed, Runtime, require


def register_product(
    rt: Runtime,
    *,
    actor: Actor,
    gtin: str,
    name: str,
    form: str = "",
    strength: str = "",
    pack_size: str = "",
    national_code: str = "",
) -> Committed:
    require(
        is_valid_gtin(gtin),
        invalid("INVALID_GTIN", f"{gtin!r} is not a GTIN with a valid check digit."),
    )
    body = {
        "gtin": normalize_gtin(gtin),
        "name": name,
        "form": form or None,
        "strength": strength or None,
        "pack_size": pack_size or None,
        "national_code": national_code or None,
    }
    return rt.submit(actor.msp_id, "RegisterProduct", {k: v for k, v in body.items() if v})


def list_products(rt: Runtime, *, manufacturer: str | None = None) -> list[Product]:
    with rt.session() as session:
        query = select(Product).order_by(Product.gtin)
        if manufacturer:
            query = query.where(Product.manufacturer == manufacturer)
        return list(session.exec(query))
