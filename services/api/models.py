"""Request and response schemas of the API (Create / Public split, as in the FastAPI template).

`*Create` and other request models validate input at the edge; `*Public` models are what a client
reads, built from read-model rows (`from_attributes`); `*Committed` wraps a public record with
the ledger transaction and block that wrote it. Every route declares its response model, so the
OpenAPI description is complete.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from services.api.fields import Gln, Gtin, Lot, MspId, Serial, Sscc

Role = Literal["manufacturer", "distributor", "pharmacy", "regulator"]
LicenceStatus = Literal["active", "suspended", "revoked"]
BatchStatus = Literal["active", "quarantined", "recalled", "withdrawn"]
ShipmentStatus = Literal["in_transit", "received", "received_with_discrepancy"]
PackStatus = Literal[
    "active",
    "supplied",
    "destroyed",
    "stolen",
    "sample",
    "free_sample",
    "locked",
    "exported",
    "checked_out",
]
DecommissionStatus = Literal[
    "supplied",
    "destroyed",
    "stolen",
    "sample",
    "free_sample",
    "locked",
    "exported",
    "checked_out",
]
Light = Literal["green", "amber", "red"]

MAX_SERIALS_IN_JSON = 100_000
MAX_SERIALS_PER_LINE = 10_000
MAX_CODE_LENGTH = 2048


class Public(BaseModel):
    """Base of response models: read straight from read-model rows."""

    model_config = ConfigDict(from_attributes=True)


class RequestModel(BaseModel):
    """Base of request models: unknown fields are refused, so a misspelt field is not ignored."""

    model_config = ConfigDict(extra="forbid")


class Committed(BaseModel):
    """Where a write sits on the ledger."""

    tx_id: str = Field(description="Ledger transaction id.", examples=["4f2a…"])
    block: int = Field(description="Number of the block holding the transaction.", examples=[7])


# -- errors ----------------------------------------------------------------------------------------


class ErrorPublic(BaseModel):
    """Every error the API answers: a stable code and a sentence a person understands."""

    code: str = Field(examples=["UNKNOWN_BATCH"])
    message: str = Field(examples=["No batch LOT404 of GTIN 09506000134352."])
    retryable: bool | None = Field(
        default=None, description="Present and true when repeating the request may succeed."
    )
    tx_id: str | None = Field(default=None, description="The ledger transaction, when one exists.")


class FieldProblem(BaseModel):
    location: str = Field(examples=["body"])
    field: str = Field(examples=["lines[0].gtin"])
    message: str = Field(examples=["'09506000134350' is not a GTIN with a valid check digit"])
    type: str = Field(examples=["value_error"])


class InvalidRequestPublic(ErrorPublic):
    """422 INVALID_REQUEST: the request does not fit the schema; `details` lists each field."""

    details: list[FieldProblem] = Field(default_factory=list)


# -- organizations ---------------------------------------------------------------------------------


class OrganizationCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "msp_id": "PharmacyCMSP",
                    "name": "Farmacia Centrale",
                    "role": "pharmacy",
                    "gln": "4001234000046",
                    "country": "IT",
                }
            ]
        }
    )

    msp_id: MspId
    name: str = Field(min_length=1, max_length=200)
    role: Role
    gln: Gln
    licence_status: LicenceStatus = "active"
    licence_number: str = Field(default="", max_length=64)
    address: str = Field(default="", max_length=200)
    country: str = Field(default="", pattern=r"^([A-Z]{2})?$", examples=["DE"])
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class LicenceUpdate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"licence_status": "suspended", "reason": "Inspection pending."}]
        }
    )

    licence_status: LicenceStatus
    reason: str = Field(default="", max_length=200)


class OrganizationPublic(Public):
    msp_id: str = Field(examples=["PharmacyAMSP"])
    name: str = Field(examples=["Apotheke am Markt"])
    role: Role
    gln: str = Field(examples=["4001234000046"])
    licence_status: LicenceStatus
    licence_number: str = ""
    address: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    registered_at: str = Field(examples=["2026-01-05T09:00:00.001Z"])


class OrganizationCommitted(Committed):
    organization: OrganizationPublic


class MePublic(BaseModel):
    """Who the bearer token stands for."""

    user: str = Field(examples=["user@PharmacyAMSP"])
    msp_id: str = Field(examples=["PharmacyAMSP"])
    role: Role
    location: str = Field(
        description="Premises GLN the user acts from.", examples=["4001234000046"]
    )
    organization: OrganizationPublic | None


# -- products --------------------------------------------------------------------------------------


class ProductCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "gtin": "09506000134369",
                    "name": "Ibuprofen 400 mg tablets",
                    "form": "tablet",
                    "strength": "400 mg",
                    "pack_size": "30",
                }
            ]
        }
    )

    gtin: Gtin
    name: str = Field(min_length=1, max_length=200)
    form: str = Field(default="", max_length=64)
    strength: str = Field(default="", max_length=64)
    pack_size: str = Field(default="", max_length=64)
    national_code: str = Field(default="", max_length=20)


class ProductPublic(Public):
    gtin: str = Field(examples=["09506000134352"])
    name: str = Field(examples=["Paracetamol 500 mg tablets"])
    form: str = ""
    strength: str = ""
    pack_size: str = ""
    national_code: str = ""
    manufacturer: str = Field(examples=["MakerMSP"])
    registered_at: str


class ProductCommitted(Committed):
    product: ProductPublic


# -- batches and holdings --------------------------------------------------------------------------


class BatchCreate(RequestModel):
    """A batch token: give its `serials`, or a `quantity` of serials to generate."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "gtin": "09506000134352",
                    "lot": "LOT002",
                    "expiry": "2028-06-30",
                    "quantity": 500,
                },
                {
                    "gtin": "09506000134352",
                    "lot": "LOT003",
                    "expiry": "2028-06-30",
                    "serials": ["A0001", "A0002"],
                },
            ]
        }
    )

    gtin: Gtin
    lot: Lot
    expiry: date = Field(examples=["2028-06-30"])
    manufactured: date | None = None
    serials: list[Serial] | None = Field(default=None, max_length=MAX_SERIALS_IN_JSON)
    quantity: int | None = Field(default=None, ge=1, le=5_000_000)

    @model_validator(mode="after")
    def _serials_or_quantity(self) -> BatchCreate:
        if (self.serials is None) == (self.quantity is None):
            raise ValueError("give either 'serials' or 'quantity', not both and not neither")
        return self


class BatchStatusChange(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"action": "recall", "reason": "Out-of-spec dissolution."}]}
    )

    action: Literal["recall", "withdraw", "quarantine", "release"]
    reason: str = Field(min_length=1, max_length=500)


class BatchPublic(Public):
    gtin: str = Field(examples=["09506000134352"])
    lot: str = Field(examples=["LOT001"])
    expiry: date
    quantity: int = Field(examples=[40])
    merkle_root: str = Field(description="Root of the Merkle tree over the batch's serials.")
    manufacturer: str = Field(examples=["MakerMSP"])
    product_name: str
    status: BatchStatus
    status_reason: str = ""
    status_changed_at: str | None = None
    registered_at: str
    registration_tx_id: str = Field(
        validation_alias=AliasChoices("registration_tx_id", "tx_id"),
        description="The transaction that minted the batch token.",
    )


class HoldingPublic(Public):
    gtin: str = Field(examples=["09506000134352"])
    lot: str = Field(examples=["LOT001"])
    msp_id: str = Field(examples=["PharmacyAMSP"])
    quantity: int = Field(examples=[10])


class BatchDetail(BatchPublic):
    holdings: list[HoldingPublic]


class BatchCommitted(Committed):
    batch: BatchPublic


# -- shipments -------------------------------------------------------------------------------------


class ShipmentLineCreate(RequestModel):
    gtin: Gtin
    lot: Lot
    quantity: int = Field(ge=1, le=10_000_000, examples=[10])
    serials: list[Serial] = Field(default_factory=list, max_length=MAX_SERIALS_PER_LINE)
    ssccs: list[Sscc] = Field(default_factory=list, max_length=MAX_SERIALS_PER_LINE)


class ShipmentCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "receiver": "PharmacyAMSP",
                    "lines": [{"gtin": "09506000134352", "lot": "LOT001", "quantity": 5}],
                }
            ]
        }
    )

    receiver: MspId
    lines: list[ShipmentLineCreate] = Field(min_length=1, max_length=200)
    to_location: Gln | None = None


class ReceivedLine(RequestModel):
    gtin: Gtin
    lot: Lot
    quantity: int = Field(ge=0, le=10_000_000, description="Units counted on arrival.")


class ShipmentReceive(RequestModel):
    """What the receiver counted, where it differs from what was shipped."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"lines": [{"gtin": "09506000134352", "lot": "LOT001", "quantity": 4}]}]
        }
    )

    lines: list[ReceivedLine] | None = Field(default=None, min_length=1, max_length=200)


class DiscrepancyPublic(BaseModel):
    gtin: str
    lot: str
    shipped: int
    received: int
    kind: Literal["short", "extra", "unexpected"]


class ShipmentLinePublic(Public):
    gtin: str = Field(examples=["09506000134352"])
    lot: str = Field(examples=["LOT001"])
    quantity: int = Field(examples=[10])
    received: int | None = None
    serials: list[str] = Field(default_factory=list)
    ssccs: list[str] = Field(default_factory=list)


class ShipmentSummary(Public):
    shipment_id: str = Field(examples=["SHP-3F2A9C0D1E4B5A6978123456"])
    sender: str = Field(examples=["WholesaleMSP"])
    receiver: str = Field(examples=["PharmacyAMSP"])
    status: ShipmentStatus
    from_location: str | None = None
    to_location: str | None = None
    shipped_at: str
    received_at: str | None = None
    ship_tx_id: str
    receive_tx_id: str | None = None


class ShipmentPublic(ShipmentSummary):
    lines: list[ShipmentLinePublic]
    discrepancies: list[DiscrepancyPublic]


class ShipmentCommitted(Committed):
    shipment: ShipmentPublic


# -- packs and verification ------------------------------------------------------------------------


class VerifyRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "01095060001343521728010510LOT001\x1d21SN0001X"}]}
    )

    code: str = Field(
        min_length=1,
        max_length=MAX_CODE_LENGTH,
        description="What the scanner read: GS1 element string, (01)… text or Digital Link URI.",
    )


class DecommissionRequest(VerifyRequest):
    status: DecommissionStatus = "supplied"


class PackPublic(Public):
    gtin: str
    serial: str
    lot: str
    status: PackStatus
    msp_id: str = Field(description="The organization that set the status.")
    location: str
    at: str
    tx_id: str
    undone_status: str | None = None


class PackCommitted(Committed):
    pack: PackPublic


class ScannedIdentifier(BaseModel):
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    expiry: str | None = None


class VerdictProduct(BaseModel):
    gtin: str
    name: str
    form: str
    strength: str
    manufacturer: str


class VerdictBatch(BaseModel):
    lot: str
    expiry: str
    status: BatchStatus
    status_reason: str


class VerdictPack(BaseModel):
    status: PackStatus
    by: str
    at: str
    location: str


class Holder(BaseModel):
    msp_id: str
    name: str
    quantity: int


class CustodySummary(BaseModel):
    manufacturer: str
    yours: int = Field(description="Units of the batch the scanning organization holds.")
    holders: list[Holder]


class VerdictPublic(BaseModel):
    """The verdict on a scanned pack: a light, a result code, and reasons in plain words."""

    result: str = Field(
        examples=["OK", "NOT_IN_CUSTODY", "ALREADY_DISPENSED", "INVALID_CODE"],
        description="The worst finding's code (OK when there is none).",
    )
    light: Light
    reasons: list[str]
    identifier: ScannedIdentifier
    product: VerdictProduct | None = None
    batch: VerdictBatch | None = None
    pack: VerdictPack | None = None
    custody: CustodySummary | None = None
    scan_id: int | None = None
    scanned_at: str = ""


# -- provenance ------------------------------------------------------------------------------------


class HolderQuantity(BaseModel):
    msp_id: str
    quantity: int


class ProvenanceShipment(BaseModel):
    shipment_id: str
    sender: str
    receiver: str
    status: ShipmentStatus
    quantity: int
    received: int | None
    shipped_at: str
    received_at: str | None
    ship_tx_id: str
    receive_tx_id: str | None
    discrepancies: list[DiscrepancyPublic]


class LedgerEventPublic(BaseModel):
    block: int
    tx_index: int
    tx_id: str
    name: str = Field(examples=["ShipmentShipped"])
    at: str
    actor: str
    payload: dict[str, Any]


class ScanPublic(BaseModel):
    at: str
    msp_id: str
    user: str
    location: str
    serial: str | None
    result: str
    light: Light
    reasons: list[str]


class BatchProvenance(BaseModel):
    batch: BatchPublic
    product: ProductPublic | None
    holdings: list[HolderQuantity]
    shipments: list[ProvenanceShipment]
    events: list[LedgerEventPublic]
    scans: list[ScanPublic]


class PackProvenance(BaseModel):
    gtin: str
    serial: str
    lot: str | None
    registered: bool
    status: str = Field(examples=["active", "supplied", "unknown"])
    pack: PackPublic | None
    batch_shipments: list[ProvenanceShipment]
    events: list[LedgerEventPublic]
    scans: list[ScanPublic]


# -- service ---------------------------------------------------------------------------------------


class CheckpointPublic(BaseModel):
    block: int
    tx_index: int


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = Field(examples=["0.1.0"])
    ledger_height: int = Field(description="Blocks committed on the ledger.", examples=[13])
    indexer_checkpoint: CheckpointPublic | None = Field(
        description="Last ledger event applied to the read model (None before the first)."
    )
