"""Liveness and readiness without credentials: ledger height and the read model's checkpoint."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

from services.api.deps import RuntimeDep
from services.api.models import CheckpointPublic, HealthPublic
from services.api.routes import errors
from services.errors import from_ledger
from services.ledger import LedgerError

router = APIRouter(tags=["service"])


def package_version() -> str:
    try:
        return version("pharmatrace")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


@router.get("/health", operation_id="get_health", responses=errors(503))
def get_health(rt: RuntimeDep) -> HealthPublic:
    """Whether the service can reach its ledger, and how far the read model has indexed it."""
    try:
        height = rt.ledger.height()
    except LedgerError as exc:
        raise from_ledger(exc) from exc
    checkpoint = rt.indexer.checkpoint()
    return HealthPublic(
        version=package_version(),
        ledger_height=height,
        indexer_checkpoint=(
            CheckpointPublic(block=checkpoint.block, tx_index=checkpoint.tx_index)
            if checkpoint
            else None
        ),
    )
