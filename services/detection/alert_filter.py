"""Which alerts a regulator asks for: the filters of the alert list, its CSV and its statistics.

Filters arrive as query-string text (the API, the dashboard's form, a CSV link) and are parsed
here, once, into a frozen `AlertFilter`; anything malformed is a 422 `INVALID_FILTER` naming the
filter, before any query runs. `AlertFilter.where()` is the one translation into SQL, so the list,
the export and the statistics always agree on what "the filtered alerts" are.

Time filters and the per-day chart use `last_seen`: when the latest evidence of the alert
happened, i.e. when the pattern became visible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col

from chaincode.identifiers import is_lot, is_serial
from services.detection.rules import RuleSet, iso
from services.detection.tables import ALERT_STATUSES, Alert
from services.errors import PharmaTraceError, invalid
from services.gs1 import is_valid_gtin, normalize_gtin
from services.identity.msp import is_valid_msp_id
from services.readmodel.tables import Organization

SEVERITIES = ("critical", "high", "medium", "low")
NO_REGION = "none"  # alerts about no organization, or one without a country
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
FILTER_NAMES = (
    "rule",
    "severity",
    "status",
    "region",
    "msp_id",
    "gtin",
    "lot",
    "serial",
    "since",
    "until",
)
PAGE_NAMES = ("limit", "offset")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def _bad(name: str, message: str) -> PharmaTraceError:
    return invalid("INVALID_FILTER", f"Filter {name!r}: {message}")


def _choices(name: str, text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of allowed words (`severity=critical,high`)."""
    values = tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))
    if not values:
        raise _bad(name, f"give one or more of {', '.join(allowed)}.")
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise _bad(name, f"{', '.join(map(repr, unknown))} is not one of {', '.join(allowed)}.")
    return values


def _moment(name: str, text: str, *, end_of_day: bool) -> str:
    """An ISO date or date-time as the alerts' ISO text; a bare `until` date includes its day."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return iso(start + timedelta(days=1, milliseconds=-1) if end_of_day else start)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(name, f"{text!r} is not an ISO 8601 date (2026-05-01) or date-time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment.astimezone(UTC))


def _count(name: str, text: str, *, least: int, most: int | None) -> int:
    if not re.fullmatch(r"\d{1,9}", text):
        raise _bad(name, f"{text!r} is not a whole number.")
    value = int(text)
    if value < least or (most is not None and value > most):
        bound = f"between {least} and {most}" if most is not None else f"at least {least}"
        raise _bad(name, f"{value} is not {bound}.")
    return value


@dataclass(frozen=True)
class AlertFilter:
    rules: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    region: str | None = None  # a country code, or NO_REGION
    msp_id: str | None = None
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    since: str | None = None  # ISO text, inclusive
    until: str | None = None  # ISO text, inclusive
    limit: int | None = DEFAULT_LIMIT  # None: every matching alert (exports)
    offset: int = 0
    key: str | None = None  # one alert (not a query filter: the detail page's own look-up)

    @classmethod
    def parse(cls, query: Mapping[str, str], *, paged: bool = True) -> AlertFilter:
        """The filter of a query string; 422 INVALID_FILTER on any unknown or malformed entry.

        Empty values count as absent (a form's blank field). `paged=False` refuses nothing but
        ignores no limit either: an export with no `limit` has every matching alert.
        """
        allowed = FILTER_NAMES + PAGE_NAMES
        unknown = sorted(set(query) - set(allowed))
        if unknown:
            raise invalid(
                "INVALID_FILTER",
                f"Unknown filter {', '.join(map(repr, unknown))}; "
                f"the filters are {', '.join(allowed)}.",
            )
        given = {name: value.strip() for name, value in query.items() if value.strip()}
        fields: dict[str, Any] = {}
        if "rule" in given:
            fields["rules"] = _choices("rule", given["rule"], tuple(RuleSet().names()))
        if "severity" in given:
            fields["severities"] = _choices("severity", given["severity"], SEVERITIES)
        if "status" in given:
            fields["statuses"] = _choices("status", given["status"], ALERT_STATUSES)
        fields.update(_subject(given))
        if "since" in given:
            fields["since"] = _moment("since", given["since"], end_of_day=False)
        if "until" in given:
            fields["until"] = _moment("until", given["until"], end_of_day=True)
        if fields.get("since") and fields.get("until") and fields["since"] > fields["until"]:
            raise _bad("since", "it is after 'until'.")
        default_limit = DEFAULT_LIMIT if paged else None
        limit = given.get("limit")
        fields["limit"] = (
            _count("limit", limit, least=1, most=MAX_LIMIT) if limit else default_limit
        )
        if "offset" in given:
            fields["offset"] = _count("offset", given["offset"], least=0, most=None)
        return cls(**fields)

    def where(self) -> list[ColumnElement[bool]]:
        """The SQL conditions over Alert (and Organization, outer-joined on msp_id)."""
        conditions: list[ColumnElement[bool]] = []
        if self.rules:
            conditions.append(col(Alert.rule).in_(self.rules))
        if self.severities:
            conditions.append(col(Alert.severity).in_(self.severities))
        if self.statuses:
            conditions.append(col(Alert.status).in_(self.statuses))
        if self.region == NO_REGION:
            conditions.append(
                or_(col(Organization.country).is_(None), col(Organization.country) == "")
            )
        elif self.region:
            conditions.append(col(Organization.country) == self.region)
        for column, value in (
            (Alert.key, self.key),
            (Alert.msp_id, self.msp_id),
            (Alert.gtin, self.gtin),
            (Alert.lot, self.lot),
            (Alert.serial, self.serial),
        ):
            if value is not None:
                conditions.append(col(column) == value)
        if self.since:
            conditions.append(col(Alert.last_seen) >= self.since)
        if self.until:
            conditions.append(col(Alert.last_seen) <= self.until)
        return [and_(*conditions)] if conditions else []

    def query_string(self) -> dict[str, str]:
        """The filter back as query parameters (links to the CSV export, the next page)."""
        out = {
            "rule": ",".join(self.rules),
            "severity": ",".join(self.severities),
            "status": ",".join(self.statuses),
            "region": self.region or "",
            "msp_id": self.msp_id or "",
            "gtin": self.gtin or "",
            "lot": self.lot or "",
            "serial": self.serial or "",
            "since": self.since or "",
            "until": self.until or "",
        }
        return {name: value for name, value in out.items() if value}


def _subject(given: Mapping[str, str]) -> dict[str, str]:
    """The filters naming what an alert is about: region, organization, product, lot, serial."""
    fields: dict[str, str] = {}
    region = given.get("region")
    if region is not None:
        if region.lower() == NO_REGION:
            fields["region"] = NO_REGION
        elif _COUNTRY.match(region):
            fields["region"] = region.upper()
        else:
            raise _bad("region", f"{region!r} is not a two-letter country code (or 'none').")
    if "msp_id" in given:
        if not is_valid_msp_id(given["msp_id"]):
            raise _bad("msp_id", f"{given['msp_id']!r} is not a valid MSP ID.")
        fields["msp_id"] = given["msp_id"]
    if "gtin" in given:
        if not is_valid_gtin(given["gtin"]):
            raise _bad("gtin", f"{given['gtin']!r} is not a GTIN with a valid check digit.")
        fields["gtin"] = normalize_gtin(given["gtin"])
    for name, check in (("lot", is_lot), ("serial", is_serial)):
        if name in given:
            if not check(given[name]):
                raise _bad(name, "1–20 characters of the GS1 character set 82.")
            fields[name] = given[name]
    return fields
