"""Value objects: what a scanned pack code means, what is wrong with it, and how it was read.

`PackIdentifier` validates itself on construction, so an identifier that exists is a valid one:
downstream code (verification, ledger, read model) never re-checks check digits or dates. The
parsers only ever put fields that passed validation into an identifier; a broken field stays
`None` and is reported as a `Problem` instead.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from services.gs1.errors import GS1Error
from services.gs1.validate import (
    expiry_issue_or_date,
    gtin_issue,
    national_number_issue,
    sscc_issue,
    text_issue,
)

__all__ = ["PackIdentifier", "ParseResult", "Problem", "Source"]

Source = Literal["element_string", "human_readable", "digital_link", "unknown"]
"""Which encoding a scan was read as (a bare GTIN counts as an element string with AI 01)."""


@dataclass(frozen=True, slots=True)
class PackIdentifier:
    """The GS1 identity of a pack (or, with `sscc`, of a case or pallet).

    Attributes:
        gtin: GTIN, always 14 digits (GTIN-8/12/13 are left-padded with zeros).
        lot: batch/lot number (AI 10), 1-20 characters of CSET 82.
        serial: serial number (AI 21), 1-20 characters of CSET 82.
        expiry: expiry date (AI 17); an encoded day 00 means the last day of that month.
        sscc: Serial Shipping Container Code (AI 00), 18 digits.
        national_number: (AI, value) of a national reimbursement number, AI 710-714.
        expiry_raw: the YYMMDD string as encoded, so "261100" (day 00) survives a round trip.
            Filled in from `expiry` when only the date is given; derives `expiry` when only
            the raw form is given; must agree with `expiry` when both are given.

    Raises:
        GS1Error: if a field breaks its GS1 rule.
    """

    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    expiry: dt.date | None = None
    sscc: str | None = None
    national_number: tuple[str, str] | None = None
    expiry_raw: str | None = None

    def __post_init__(self) -> None:
        issues = [
            ("gtin", None if self.gtin is None else gtin_issue(self.gtin)),
            ("sscc", None if self.sscc is None else sscc_issue(self.sscc)),
            ("lot", None if self.lot is None else text_issue("lot", self.lot)),
            ("serial", None if self.serial is None else text_issue("serial", self.serial)),
            (
                "national_number",
                None
                if self.national_number is None
                else national_number_issue(*self.national_number),
            ),
        ]
        for name, issue in issues:
            if issue is not None:
                msg = f"{name}: {issue[1]}"
                raise GS1Error(msg)
        self._settle_expiry()

    def _settle_expiry(self) -> None:
        if self.expiry_raw is None:
            if self.expiry is not None:
                # Frozen dataclass: the documented way to set a derived field in __post_init__.
                object.__setattr__(self, "expiry_raw", self.expiry.strftime("%y%m%d"))
            return
        parsed = expiry_issue_or_date(self.expiry_raw)
        if not isinstance(parsed, dt.date):
            msg = f"expiry_raw: {parsed[1]}"
            raise GS1Error(msg)
        if self.expiry is None:
            object.__setattr__(self, "expiry", parsed)
        elif self.expiry != parsed:
            msg = f"expiry {self.expiry} does not match expiry_raw {self.expiry_raw!r} ({parsed})."
            raise GS1Error(msg)

    @property
    def expiry_yymmdd(self) -> str | None:
        """The expiry as the YYMMDD string encoded on the pack (keeps a day of 00)."""
        return self.expiry_raw


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scan, tied to the field it concerns.

    Attributes:
        field: "gtin", "sscc", "lot", "serial", "expiry", "national_number" or "code" (the
            scan as a whole).
        code: machine code: EMPTY, UNRECOGNISED_FORMAT, INVALID_CHECK_DIGIT, INVALID_LENGTH,
            INVALID_CHARACTERS, INVALID_DATE, UNKNOWN_AI, DUPLICATE_AI, TRUNCATED,
            MISSING_GTIN, MISSING_SEPARATOR (a dropped group separator made the code
            ambiguous), INVALID_VALUE (a GS1 field this domain does not keep, such as (11),
            breaks its format) or INTERNAL_ERROR (a bug here; never expected).
        message: a sentence a pharmacist understands.
    """

    field: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The outcome of reading one scan: never an exception, always this.

    Attributes:
        identifier: the fields that were read and are valid, or None if there are none.
        problems: everything wrong, per field; empty when the scan is clean.
        source: the encoding the scan was read as.
        raw: the text exactly as received.
    """

    identifier: PackIdentifier | None
    problems: tuple[Problem, ...]
    source: Source
    raw: str

    @property
    def ok(self) -> bool:
        """True if there are no problems and the identifier has a GTIN or an SSCC."""
        return (
            not self.problems
            and self.identifier is not None
            and (self.identifier.gtin is not None or self.identifier.sscc is not None)
        )
