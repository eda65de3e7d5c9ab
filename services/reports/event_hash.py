"""CBV 2.0 canonical event hash of an EPCIS 2.0 JSON event: `ni:///sha-256;<hex>?ver=CBV2.0`.

The pre-hash string follows GS1's algorithm (CBV 2.0 section 8.9, reference implementation
`epcis-event-hash-generator`, checked against it in tests/integration/reports):

1. `eventType=<type>`, then the standard fields in a fixed order, each as `name=value`, with no
   separator: eventTime, eventTimeZoneOffset, certificationInfo, parentID, epcList, inputEPCList,
   childEPCs, quantityList, childQuantityList, inputQuantityList, outputEPCList,
   outputQuantityList, action, transformationID, bizStep, disposition, persistentDisposition,
   readPoint, bizLocation. Lists are written as `epcList` followed by their elements, sorted.
2. Timestamps in UTC to the millisecond (`2026-01-05T09:00:00.008Z`); numbers without leading
   `+` or trailing zeros; CBV values as web vocabulary URIs
   (`https://ref.gs1.org/cbv/BizStep-shipping`); identifiers as canonical GS1 Digital Link URIs.
3. Everything else (sourceList, destinationList, bizTransactionList, user extensions) follows,
   each element written generically and the whole sorted; recordTime, eventID and
   errorDeclaration never take part. Extension names are written `{namespace-URI}localName`.

Only what our exporter emits is supported (ObjectEvents with the fields above, source and
destination lists, nested extension objects); an unsupported standard field raises ValueError
rather than producing a hash that would disagree with other implementations.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime
from typing import Any

CBV = "https://ref.gs1.org/cbv/"
_VOCAB_PREFIX = {
    "bizStep": "BizStep-",
    "disposition": "Disp-",
    "sourceType": "SDT-",
    "bizTransactionType": "BTT-",
}
_IGNORED = {"recordTime", "eventID", "type", "errorDeclaration", "@context"}
_SIMPLE_ORDER = ("eventTime", "eventTimeZoneOffset")
_LIST_ORDER = ("epcList",)
_QUANTITY_ORDER = ("quantityList",)
_AFTER_LISTS = ("action", "bizStep", "disposition")
_LOCATIONS = ("readPoint", "bizLocation")
_UNSUPPORTED = {
    "certificationInfo",
    "parentID",
    "inputEPCList",
    "childEPCs",
    "childQuantityList",
    "inputQuantityList",
    "outputEPCList",
    "outputQuantityList",
    "transformationID",
    "persistentDisposition",
    "sensorElementList",
    "ilmd",
}


_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def canonical_time(value: str) -> str:
    """ISO 8601 date-time → UTC, millisecond precision, `Z`."""
    if _CANONICAL_TIME.fullmatch(value):
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _numeric(text: str) -> str:
    first = text[:1]
    if first.isalpha() and first not in "iInN":  # cannot be a number (not even inf or nan)
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return str(int(number)) if number.is_integer() else str(number)


def _value(text: str) -> str:
    """A value's canonical text: trimmed, numbers normalised (our URIs are already canonical)."""
    text = text.strip()
    first = text[:1]
    if first.isalpha() and first not in "iInN":
        return text
    return _numeric(text)


def _vocab(value: str, kind: str) -> str:
    if value.startswith(("http://", "https://", "urn:")):
        return value
    return CBV + _VOCAB_PREFIX[kind] + value


_EXPANDED: dict[tuple[str, str], str] = {}


def _expand_name(name: str, namespaces: dict[str, str]) -> str:
    """`prefix:local` → `{namespace-URI}local` when the prefix is declared."""
    prefix, sep, local = name.partition(":")
    uri = namespaces.get(prefix) if sep else None
    if uri is None:
        return name
    key = (name, uri)
    expanded = _EXPANDED.get(key)
    if expanded is None:
        expanded = _EXPANDED[key] = "{" + uri + "}" + local
    return expanded


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _generic(name: str, value: Any, namespaces: dict[str, str]) -> str:
    """An element outside the fixed order: `name=value` or `name` + its children, sorted."""
    key = _expand_name(name, namespaces)
    if isinstance(value, dict):
        parts = [_generic(k, v, namespaces) for k, v in value.items() if k not in _IGNORED]
        return key + "".join(sorted(parts))
    if isinstance(value, list):
        raise ValueError(f"list-valued extension {name!r} is not supported")
    text = _value(_scalar(value))
    return key + ("=" + text if text else "")


def _party_list(name: str, items: list[dict[str, str]]) -> str:
    element = name.removesuffix("List")
    kind = "bizTransactionType" if element == "bizTransaction" else "sourceType"
    parts = []
    for item in items:
        text = ""
        if "type" in item:
            text += "type=" + _value(_vocab(item["type"], kind))
        text += element + "=" + _value(item[element])
        parts.append(text)
    return name + "".join(sorted(parts))


def _quantity_element(q: dict[str, Any]) -> str:
    text = "quantityElement" + "epcClass=" + _value(q["epcClass"])
    text += "quantity=" + _value(_scalar(q["quantity"]))
    if "uom" in q:
        text += "uom=" + _value(q["uom"])
    return text


def _ordered(event: dict[str, Any]) -> list[str]:
    """The standard fields, in the CBV 2.0 order."""
    parts = []
    for name in _SIMPLE_ORDER:
        if name in event:
            text = event[name].strip()
            parts.append(name + "=" + (canonical_time(text) if name == "eventTime" else text))
    for name in _LIST_ORDER:
        if event.get(name):
            parts.append(name + "".join(sorted("epc=" + _value(e) for e in event[name])))
    for name in _QUANTITY_ORDER:
        if event.get(name):
            parts.append(name + "".join(sorted(_quantity_element(q) for q in event[name])))
    for name in _AFTER_LISTS:
        if name in event:
            value = event[name] if name == "action" else _vocab(event[name], name)
            parts.append(name + "=" + _value(value))
    for name in _LOCATIONS:
        if name in event:
            parts.append(name + "id=" + _value(event[name]["id"]))
    return parts


_HANDLED = {*_SIMPLE_ORDER, *_LIST_ORDER, *_QUANTITY_ORDER, *_AFTER_LISTS, *_LOCATIONS}


def prehash(event: dict[str, Any], namespaces: dict[str, str] | None = None) -> str:
    """The CBV 2.0 pre-hash string of one EPCIS 2.0 JSON event."""
    namespaces = namespaces or {}
    unsupported = _UNSUPPORTED & event.keys()
    if unsupported:
        raise ValueError(f"fields not supported by this hash implementation: {sorted(unsupported)}")
    rest = []
    for name, value in event.items():
        if name in _HANDLED or name in _IGNORED:
            continue
        if name in ("sourceList", "destinationList", "bizTransactionList"):
            if value:
                rest.append(_party_list(name, value))
        else:
            rest.append(_generic(name, value, namespaces))
    event_type: str = event["type"]
    return "eventType=" + event_type + "".join(_ordered(event)) + "".join(sorted(rest))


def event_hash(event: dict[str, Any], namespaces: dict[str, str] | None = None) -> str:
    """`ni:///sha-256;<hex>?ver=CBV2.0` of one EPCIS 2.0 JSON event."""
    digest = hashlib.sha256(prehash(event, namespaces).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"
