"""Domain vocabulary of the contract: roles, batch and pack statuses, and their rules.

Statuses follow the EU FMD model (Delegated Regulation 2016/161): pack-level decommissioning is
individual and reversible within limits; batch-level recall, withdrawal and expiry are not.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class Role(StrEnum):
    """An organization's role on the channel."""

    MANUFACTURER = "manufacturer"
    DISTRIBUTOR = "distributor"
    PHARMACY = "pharmacy"
    REGULATOR = "regulator"


class LicenceStatus(StrEnum):
    """Whether an organization is an authorised trading partner (DSCSA) right now."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class BatchStatus(StrEnum):
    """Batch-level status. Expiry is derived from the date, never stored."""

    ACTIVE = "active"
    QUARANTINED = "quarantined"
    RECALLED = "recalled"
    WITHDRAWN = "withdrawn"


class PackStatus(StrEnum):
    """Pack-level status; a pack with no record on the ledger is active."""

    ACTIVE = "active"
    SUPPLIED = "supplied"  # dispensed to the public
    DESTROYED = "destroyed"
    STOLEN = "stolen"
    SAMPLE = "sample"
    FREE_SAMPLE = "free_sample"
    LOCKED = "locked"
    EXPORTED = "exported"
    CHECKED_OUT = "checked_out"


class ShipmentStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    RECEIVED_WITH_DISCREPANCY = "received_with_discrepancy"


# Roles that may hold stock, ship it and receive it.
CUSTODIAN_ROLES = (Role.MANUFACTURER, Role.DISTRIBUTOR, Role.PHARMACY)

# Decommission statuses each role may set. Only pharmacies supply packs to the public.
DECOMMISSION_BY_ROLE: dict[Role, frozenset[PackStatus]] = {
    Role.PHARMACY: frozenset(PackStatus) - {PackStatus.ACTIVE},
    Role.DISTRIBUTOR: frozenset(
        {
            PackStatus.DESTROYED,
            PackStatus.STOLEN,
            PackStatus.SAMPLE,
            PackStatus.LOCKED,
            PackStatus.EXPORTED,
            PackStatus.CHECKED_OUT,
        }
    ),
    Role.MANUFACTURER: frozenset(
        {
            PackStatus.DESTROYED,
            PackStatus.STOLEN,
            PackStatus.SAMPLE,
            PackStatus.FREE_SAMPLE,
            PackStatus.LOCKED,
            PackStatus.EXPORTED,
        }
    ),
    Role.REGULATOR: frozenset(),
}

# EU FMD Art. 13: no undo after destruction or theft.
IRREVERSIBLE_PACK_STATUSES = frozenset({PackStatus.DESTROYED, PackStatus.STOLEN})

# EU FMD Art. 13(1)(c): undo only within 10 days of the decommissioning.
UNDO_WINDOW = timedelta(days=10)

# Bounds that keep one transaction small and endorsement fast.
MAX_SHIPMENT_LINES = 200
MAX_SERIALS_PER_LINE = 10_000
MAX_BATCH_QUANTITY = 50_000_000
MAX_TEXT = 200
