"""Products: anyone authenticated lists them; a manufacturer registers its GTINs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.api.deps import ActorDep, ManufacturerDep, RuntimeDep
from services.api.fields import MspId
from services.api.idempotency import IdempotencyDep, Outcome
from services.api.models import ProductCommitted, ProductCreate, ProductPublic
from services.api.routes import errors
from services.domain import products

router = APIRouter(prefix="/products", tags=["products"])


@router.get("", operation_id="list_products")
def list_products(
    rt: RuntimeDep, _actor: ActorDep, manufacturer: Annotated[MspId | None, Query()] = None
) -> list[ProductPublic]:
    """Registered products, optionally of one manufacturer."""
    return [
        ProductPublic.model_validate(product)
        for product in products.list_products(rt, manufacturer=manufacturer)
    ]


@router.post(
    "",
    operation_id="register_product",
    status_code=201,
    response_model=ProductCommitted,
    responses=errors(403, 409),
)
def register_product(
    body: ProductCreate, rt: RuntimeDep, actor: ManufacturerDep, idem: IdempotencyDep
) -> Response:
    """Register a GTIN as one of the calling manufacturer's products."""

    def operation() -> Outcome:
        committed = products.register_product(rt, actor=actor, **body.model_dump())
        product = ProductPublic.model_validate(committed.record)
        return Outcome(
            ProductCommitted(tx_id=committed.tx_id, block=committed.block, product=product), 201
        )

    return idem.run(operation)
