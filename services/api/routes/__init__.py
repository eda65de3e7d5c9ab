"""The API's routes, one module per area, gathered in `api_router` (mounted at /api/v1).

Routes stay thin: check the role (dependency), call one keyword-only domain function, shape the
answer. Every route has a stable snake_case `operation_id`; clients generated from the OpenAPI
description depend on those names.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from services.api.models import ErrorPublic, InvalidRequestPublic

_DESCRIPTIONS = {
    401: "Missing, unknown or revoked API token (UNAUTHENTICATED).",
    403: "The organization's role or relation to the object does not allow this.",
    404: "The object does not exist (or is not visible to the caller).",
    409: "The request conflicts with the current state (or reuses an Idempotency-Key).",
    413: "The request body is too large (PAYLOAD_TOO_LARGE).",
    422: "The request does not fit the schema or the contract's rules.",
    429: "Too many requests with this token (RATE_LIMITED); retry after Retry-After seconds.",
    503: "The ledger cannot be reached; nothing was recorded. Retry.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route may answer."""
    return {
        status: {
            "model": InvalidRequestPublic if status == 422 else ErrorPublic,
            "description": _DESCRIPTIONS[status],
        }
        for status in statuses
    }


def build_api_router() -> APIRouter:
    from services.api.routes import (
        alerts,
        audit,
        batches,
        logistic_units,
        me,
        notifications,
        organizations,
        packs,
        products,
        provenance,
        scanning,
        shipments,
        tokens,
    )

    router = APIRouter(responses=errors(401, 422))
    for module in (
        alerts,
        audit,
        tokens,
        me,
        organizations,
        products,
        batches,
        shipments,
        scanning,
        packs,
        provenance,
        logistic_units,
        notifications,
    ):
        router.include_router(module.router)
    return router
