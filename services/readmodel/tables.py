"""sqlmodel tables of the read model.

Timestamps are stored as ISO 8601 UTC strings exactly as the contract emitted them, so a rebuild is
byte-identical and SQLite and PostgreSQL agree; dates (expiry) as ISO dates.
"""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

# -- derived from ledger events -------------------------------------------------------------------


class Organization(SQLModel, table=True):
    msp_id: str = Field(primary_key=True, max_length=64)
    name: str
    role: str = Field(index=True)
    gln: str = Field(index=True, max_length=13)
    licence_status: str
    licence_number: str = ""
    address: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    registered_at: str


class Product(SQLModel, table=True):
    gtin: str = Field(primary_key=True, max_length=14)
    name: str
    form: str = ""
    strength: str = ""
    pack_size: str = ""
    national_code: str = ""
    manufacturer: str = Field(index=True)
    registered_at: str


class Batch(SQLModel, table=True):
    gtin: str = Field(primary_key=True, max_length=14)
    lot: str = Field(primary_key=True, max_length=20)
    expiry: str  # YYYY-MM-DD
    quantity: int
    merkle_root: str
    manufacturer: str = Field(index=True)
    product_name: str
    status: str
    status_reason: str = ""
    status_changed_at: str | None = None
    registered_at: str
    tx_id: str


class Holding(SQLModel, table=True):
    gtin: str = Field(primary_key=True, max_length=14)
    lot: str = Field(primary_key=True, max_length=20)
    msp_id: str = Field(primary_key=True, max_length=64, index=True)
    quantity: int


class Shipment(SQLModel, table=True):
    shipment_id: str = Field(primary_key=True, max_length=64)
    sender: str = Field(index=True)
    receiver: str = Field(index=True)
    status: str
    from_location: str | None = None
    to_location: str | None = None
    shipped_at: str
    received_at: str | None = None
    ship_tx_id: str
    receive_tx_id: str | None = None
    discrepancies: str = "[]"  # JSON list, as the contract recorded them


class ShipmentLine(SQLModel, table=True):
    shipment_id: str = Field(primary_key=True, max_length=64)
    gtin: str = Field(primary_key=True, max_length=14)
    lot: str = Field(primary_key=True, max_length=20)
    quantity: int
    received: int | None = None
    serials: str = "[]"  # JSON list
    ssccs: str = "[]"  # JSON list


class ShipmentLogisticUnit(SQLModel, table=True):
    """A case or pallet (SSCC) of a shipment and its contents, as the Ship transaction recorded
    them: how a receiver's own read model resolves an SSCC label it scans."""

    shipment_id: str = Field(primary_key=True, max_length=64)
    sscc: str = Field(primary_key=True, max_length=18, index=True)
    contents: str  # JSON list of {gtin, lot, quantity, serials}


class Pack(SQLModel, table=True):
    """Packs whose status ever changed on the ledger; all others are active."""

    gtin: str = Field(primary_key=True, max_length=14)
    serial: str = Field(primary_key=True, max_length=20)
    lot: str
    status: str
    msp_id: str
    location: str
    at: str
    tx_id: str
    undone_status: str | None = None


class LedgerEvent(SQLModel, table=True):
    """Every indexed chaincode event: the evidence behind provenance reports."""

    block: int = Field(primary_key=True)
    tx_index: int = Field(primary_key=True)
    tx_id: str = Field(index=True)
    name: str = Field(index=True)
    at: str
    actor: str = Field(index=True)
    gtin: str | None = Field(default=None, index=True)
    lot: str | None = None
    serial: str | None = None
    shipment_id: str | None = Field(default=None, index=True)
    payload: str


class IndexCheckpoint(SQLModel, table=True):
    """The last event applied; written in the same SQL transaction as the rows it covers."""

    id: int = Field(default=1, primary_key=True)
    block: int
    tx_index: int


DERIVED_TABLES: list[type[SQLModel]] = [
    Organization,
    Product,
    Batch,
    Holding,
    Shipment,
    ShipmentLine,
    ShipmentLogisticUnit,
    Pack,
    LedgerEvent,
    IndexCheckpoint,
]

# -- off-chain records ----------------------------------------------------------------------


class Scan(SQLModel, table=True):
    """One verification: who scanned what, where, when, and the verdict."""

    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(index=True)
    msp_id: str = Field(index=True)
    user: str
    location: str
    raw_code: str
    gtin: str | None = Field(default=None, index=True)
    lot: str | None = None
    serial: str | None = None
    expiry: str | None = None
    result: str = Field(index=True)
    light: str
    reasons: str  # JSON list of sentences


class SerialNumber(SQLModel, table=True):
    """The manufacturer's serial list of each batch; its Merkle root is on the ledger.

    Keyed by (GTIN, serial) for a scan's look-up; indexed by (GTIN, lot, leaf index) for a batch's
    serials in leaf order (labels, proofs, "is this batch stored").
    """

    __table_args__ = (Index("serialnumber_batch", "gtin", "lot", "leaf_index"),)

    gtin: str = Field(primary_key=True, max_length=14)
    serial: str = Field(primary_key=True, max_length=20)
    lot: str = Field(max_length=20)
    leaf_index: int


class LogisticUnit(SQLModel, table=True):
    """A case or pallet a custodian packed, before it ships: its SSCC (allocated from the
    organization's numbering) and contents. Off chain; the contents reach the ledger with the
    shipment that carries the unit (`ShipmentLogisticUnit`)."""

    sscc: str = Field(primary_key=True, max_length=18)
    msp_id: str = Field(index=True, max_length=64)
    contents: str  # JSON list of {gtin, lot, quantity, serials}
    created_at: str
    created_by: str = ""


class ApiToken(SQLModel, table=True):
    """A user's API token, stored as a SHA-256 hash only."""

    token_hash: str = Field(primary_key=True, max_length=64)
    user: str = Field(index=True)
    msp_id: str = Field(index=True)
    role: str
    location: str = ""
    created_at: str
    revoked: bool = False
    expires_at: str | None = None  # ISO UTC; None only for tokens made before expiry existed
    revoked_at: str | None = Field(default=None, index=True)  # other processes poll this
    last_used_at: str | None = None  # refreshed at most once per cache period, not per request


class AuditEntry(SQLModel, table=True):
    """One attempted ledger write: who (user, organization, role), where, when, and the outcome.

    Off chain because the user and the premises are known only to the service; the organization
    that signed is also on the ledger (the transaction's creator), so `tx_id` ties the two.
    """

    __table_args__ = (Index("auditentry_org_at", "msp_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(index=True)
    msp_id: str
    user: str = Field(index=True)
    role: str
    location: str
    origin: str  # "api <client address>", "cli <os user>@<host>", …
    action: str = Field(index=True)  # the contract function
    outcome: str  # "committed" or the refusal's error code
    tx_id: str | None = None
    block: int | None = None
    detail: str = ""  # the request body (canonical JSON, capped) or the refusal's message


class IdempotencyRecord(SQLModel, table=True):
    """The response to a write, replayed when the same Idempotency-Key comes again."""

    key: str = Field(primary_key=True, max_length=200)
    msp_id: str = Field(primary_key=True, max_length=64)
    request_hash: str
    status_code: int
    response: str
    created_at: str
