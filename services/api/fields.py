"""Validated field types shared by request models and path parameters.

GS1 keys are checked here, at the edge, so a wrong check digit is a 422 naming the field before
anything reaches the domain or the ledger. GTINs are normalised to the 14 digits of AI 01, the
form every table and the contract use. The contract re-checks everything: these types exist for
clear errors and a precise OpenAPI description, not for safety.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from chaincode.identifiers import is_lot, is_serial
from services.gs1 import is_valid_gln, is_valid_gtin, is_valid_sscc, normalize_gtin

# Organizations' MSP IDs name folders of the MSP directory: no separators, no leading dot.
MSP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CSET82_PATTERN = r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$"


def _gtin(value: str) -> str:
    if not is_valid_gtin(value):
        raise ValueError(
            f"{value!r} is not a GTIN (8, 12, 13 or 14 digits) with a valid check digit"
        )
    return normalize_gtin(value)


def _gln(value: str) -> str:
    if not is_valid_gln(value):
        raise ValueError(f"{value!r} is not a 13-digit GLN with a valid check digit")
    return value


def _sscc(value: str) -> str:
    if not is_valid_sscc(value):
        raise ValueError(f"{value!r} is not an 18-digit SSCC with a valid check digit")
    return value


def _lot(value: str) -> str:
    if not is_lot(value):
        raise ValueError("a lot is 1–20 characters of the GS1 character set 82")
    return value


def _serial(value: str) -> str:
    if not is_serial(value):
        raise ValueError("a serial number is 1–20 characters of the GS1 character set 82")
    return value


Gtin = Annotated[
    str,
    Field(
        description="GTIN-8, -12, -13 or -14 with a valid check digit; answered as 14 digits.",
        json_schema_extra={"pattern": r"^(\d{8}|\d{12,14})$"},
        examples=["09506000134352"],
    ),
    AfterValidator(_gtin),
]
Gln = Annotated[
    str,
    Field(
        description="13-digit Global Location Number with a valid check digit.",
        json_schema_extra={"pattern": r"^\d{13}$"},
        examples=["4001234000046"],
    ),
    AfterValidator(_gln),
]
Sscc = Annotated[
    str,
    Field(
        description="18-digit Serial Shipping Container Code with a valid check digit.",
        json_schema_extra={"pattern": r"^\d{18}$"},
        examples=["340123450000000000"],
    ),
    AfterValidator(_sscc),
]
Lot = Annotated[
    str,
    Field(
        description="Batch/lot number (AI 10): 1–20 characters of GS1 character set 82.",
        json_schema_extra={"pattern": CSET82_PATTERN},
        examples=["LOT001"],
    ),
    AfterValidator(_lot),
]
Serial = Annotated[
    str,
    Field(
        description="Serial number (AI 21): 1–20 characters of GS1 character set 82.",
        json_schema_extra={"pattern": CSET82_PATTERN},
        examples=["SN0001X"],
    ),
    AfterValidator(_serial),
]
MspId = Annotated[
    str,
    Field(
        pattern=MSP_ID_PATTERN,
        description="An organization's MSP ID on the channel.",
        examples=["PharmacyAMSP"],
    ),
]
