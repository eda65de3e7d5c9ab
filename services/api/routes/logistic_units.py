"""Logistic units (SSCC cases and pallets) and the warehouse screen's scan resolution.

    POST /logistic-units              pack a case: allocate an SSCC, record its contents
    GET  /logistic-units/{sscc}       its contents (packed here, or from a shipment of ours)
    GET  /logistic-units/{sscc}/label.png   its GS1-128 logistic label
    POST /warehouse/resolve           a scanned code → pack (with custody) or SSCC (contents)

Every custodian may use them; what an SSCC resolves to is limited to units the caller packed
or that travel in a shipment it sends or receives, so nobody reads another's cases.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from services.api.deps import CustodianDep, RuntimeDep
from services.api.fields import Sscc
from services.api.idempotency import IdempotencyDep, Outcome
from services.api.logistic_models import (
    LogisticUnitCreate,
    LogisticUnitPublic,
    ScannedPackPublic,
    ScanRequest,
    ScanResolutionPublic,
    UnitContentPublic,
)
from services.api.routes import errors
from services.domain import logistic_units, warehouse_scans
from services.domain.logistic_units import ResolvedUnit, UnitContent

router = APIRouter(tags=["warehouse"])

SsccPath = Annotated[Sscc, Path()]


def unit_public(unit: ResolvedUnit) -> LogisticUnitPublic:
    return LogisticUnitPublic(
        sscc=unit.sscc,
        contents=[UnitContentPublic.model_validate(c) for c in unit.contents],
        owner=unit.owner,
        shipment_id=unit.shipment_id,
        shipment_status=unit.shipment_status,
        created_at=unit.created_at,
        label_url=f"/api/v1/logistic-units/{unit.sscc}/label.png",
    )


@router.post(
    "/logistic-units",
    operation_id="pack_logistic_unit",
    status_code=201,
    response_model=LogisticUnitPublic,
    responses=errors(403, 404, 409),
)
def pack_logistic_unit(
    body: LogisticUnitCreate, rt: RuntimeDep, actor: CustodianDep, idem: IdempotencyDep
) -> Response:
    """Pack a case or pallet of batches the caller holds; answers its new SSCC.

    Send an Idempotency-Key: a retry answers the same SSCC instead of allocating another.
    """
    contents = [UnitContent(c.gtin, c.lot, c.quantity, tuple(c.serials)) for c in body.contents]
    return idem.run(
        lambda: Outcome(
            unit_public(logistic_units.pack_unit(rt, actor=actor, contents=contents)), 201
        )
    )


@router.get("/logistic-units/{sscc}", operation_id="get_logistic_unit", responses=errors(403, 404))
def get_logistic_unit(sscc: SsccPath, rt: RuntimeDep, actor: CustodianDep) -> LogisticUnitPublic:
    """A case's or pallet's contents, if the caller packed it or it is in one of its shipments."""
    return unit_public(logistic_units.resolve(rt, actor=actor, sscc=sscc))


@router.get(
    "/logistic-units/{sscc}/label.png",
    operation_id="get_logistic_unit_label",
    response_class=Response,
    responses={
        200: {
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The GS1-128 logistic label.",
        },
        **errors(403, 404),
    },
)
def get_logistic_unit_label(sscc: SsccPath, rt: RuntimeDep, actor: CustodianDep) -> Response:
    """The unit's A6 logistic label (300 dpi PNG): shipper, contents, GS1-128 of (00) SSCC."""
    png = logistic_units.label_png(rt, actor=actor, sscc=sscc)
    return Response(
        png,
        media_type="image/png",
        headers={"Content-Disposition": f'inline; filename="sscc-{sscc}.png"'},
    )


@router.post(
    "/warehouse/resolve",
    operation_id="resolve_warehouse_scan",
    response_model=ScanResolutionPublic,
    responses=errors(403, 404),
)
def resolve_warehouse_scan(
    body: ScanRequest, rt: RuntimeDep, actor: CustodianDep
) -> ScanResolutionPublic:
    """Resolve a scan for shipping or receiving: a pack with the caller's custody of its batch
    (light and reasons), or an SSCC with its contents. Unreadable codes are 422 with the GS1
    problem as the code (UNRECOGNISED_FORMAT, TRUNCATED, INVALID_CHECK_DIGIT, …); nothing is
    recorded."""
    resolution = warehouse_scans.resolve_scan(rt, actor=actor, code=body.code)
    return ScanResolutionPublic(
        kind="pack" if resolution.pack else "sscc",
        code=resolution.code,
        pack=ScannedPackPublic.model_validate(resolution.pack, from_attributes=True)
        if resolution.pack
        else None,
        unit=unit_public(resolution.unit) if resolution.unit else None,
    )
