"""Request and response schemas of logistic units (SSCC cases and pallets) and warehouse scans."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.fields import Gtin, Lot, Serial

Light = Literal["green", "amber", "red"]


class UnitContentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gtin: Gtin
    lot: Lot
    quantity: int = Field(ge=1, le=10_000_000, examples=[12])
    serials: list[Serial] = Field(default_factory=list, max_length=10_000)


class LogisticUnitCreate(BaseModel):
    """What goes into a new case or pallet; the service allocates its SSCC."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"contents": [{"gtin": "09506000134352", "lot": "LOT001", "quantity": 6}]}]
        },
    )

    contents: list[UnitContentCreate] = Field(min_length=1, max_length=200)


class UnitContentPublic(BaseModel):
    gtin: str = Field(examples=["09506000134352"])
    lot: str = Field(examples=["LOT001"])
    quantity: int = Field(examples=[6])
    serials: list[str] = Field(default_factory=list)


class LogisticUnitPublic(BaseModel):
    sscc: str = Field(examples=["040012340000100007"])
    contents: list[UnitContentPublic]
    owner: str = Field(description="The organization that packed it.", examples=["WholesaleMSP"])
    shipment_id: str | None = Field(
        default=None, description="The shipment the contents were learnt from, if any."
    )
    shipment_status: str | None = None
    created_at: str | None = None
    label_url: str = Field(description="The GS1-128 label of the unit (PNG).")


class ScanRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"code": "00340123450000000000"}]},
    )

    code: str = Field(min_length=1, max_length=2048, description="What the scanner read.")


class ScannedPackPublic(BaseModel):
    gtin: str
    lot: str
    serial: str | None = None
    expiry: str | None = None
    product_name: str | None = None
    held: int = Field(description="Units of this batch the caller holds.")
    in_custody: bool
    incoming_shipments: list[str] = Field(
        description="In-transit shipments to the caller that carry this batch."
    )
    light: Light
    reasons: list[str] = Field(description="Every finding, worst first not guaranteed.")
    custody: str = Field(default="", description="The custody finding alone (also in reasons).")


class ScanResolutionPublic(BaseModel):
    kind: Literal["pack", "sscc"]
    code: str
    pack: ScannedPackPublic | None = None
    unit: LogisticUnitPublic | None = None
