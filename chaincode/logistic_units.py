"""What is inside each case or pallet (SSCC) of a shipment, recorded with the shipment.

A receiver scans the SSCC label of a case, not every pack in it. Its own read model only knows
what the ledger told it, so the contents of every described SSCC travel in the Ship transaction
(`logistic_units`) and are checked here against the shipment's lines: the lines stay the whole
truth about what moves (custody is debited from them alone), the logistic units only say how it
was packed. Checks, all before anything is written:

- every SSCC is valid and described once; every batch in a unit is a line of the shipment and
  the unit's SSCC is listed on that line, and an SSCC on a line names a unit holding that batch;
- the units' quantities of a batch add up to no more than the line; a unit's serials are among
  the line's serials and in no other unit.

A shipment without `logistic_units` is recorded as before (lines may still name SSCCs).
"""

from __future__ import annotations

from collections import Counter

from chaincode import args, identifiers
from chaincode.context import Record
from chaincode.errors import ContractError, ErrorCode
from chaincode.model import MAX_SERIALS_PER_LINE, MAX_SHIPMENT_LINES

MAX_LOGISTIC_UNITS = 1_000
MAX_UNIT_QUANTITY = 10_000_000

BatchKey = tuple[str, str]


def mismatch(message: str) -> ContractError:
    return ContractError(ErrorCode.LOGISTIC_UNIT_MISMATCH, message)


def logistic_units(body: args.Request, lines: list[Record]) -> list[Record]:
    """The validated, canonically ordered `logistic_units` of a Ship request ([] if absent)."""
    raw = args.object_list(body, "logistic_units", max_items=MAX_LOGISTIC_UNITS, required=False)
    units = sorted((_unit(unit) for unit in raw), key=lambda unit: str(unit["sscc"]))
    ssccs = [unit["sscc"] for unit in units]
    if len(set(ssccs)) != len(ssccs):
        raise args.invalid("Each SSCC may be described only once in 'logistic_units'.")
    if units:
        _refuse_inconsistent(units, {(line["gtin"], line["lot"]): line for line in lines})
    return units


def _unit(unit: args.Request) -> Record:
    sscc = unit.get("sscc")
    if not isinstance(sscc, str) or not identifiers.is_sscc(sscc):
        raise args.invalid(
            "Every logistic unit's 'sscc' must be 18 digits with a valid check digit."
        )
    contents = [
        _content(content)
        for content in args.object_list(unit, "contents", max_items=MAX_SHIPMENT_LINES)
    ]
    batches = [(content["gtin"], content["lot"]) for content in contents]
    if len(set(batches)) != len(batches):
        raise args.invalid(f"Each batch may appear only once in the contents of SSCC {sscc}.")
    return {"sscc": sscc, "contents": sorted(contents, key=lambda c: (c["gtin"], c["lot"]))}


def _content(content: args.Request) -> Record:
    quantity = args.integer(content, "quantity", minimum=1, maximum=MAX_UNIT_QUANTITY)
    serials = args.string_list(content, "serials", max_items=MAX_SERIALS_PER_LINE)
    if len(serials) > quantity or len(set(serials)) != len(serials):
        raise args.invalid(
            "A logistic unit's serials must be distinct and no more than its quantity."
        )
    if not all(identifiers.is_serial(s) for s in serials):
        raise args.invalid("Every serial must be 1–20 characters of the GS1 character set 82.")
    return {
        "gtin": args.gtin(content),
        "lot": args.lot(content),
        "quantity": quantity,
        "serials": sorted(serials),
    }


def _refuse_inconsistent(units: list[Record], lines: dict[BatchKey, Record]) -> None:
    packed: Counter[BatchKey] = Counter()
    described: set[tuple[str, BatchKey]] = set()
    serial_owner: dict[tuple[BatchKey, str], str] = {}
    for unit in units:
        for content in unit["contents"]:
            key = (content["gtin"], content["lot"])
            line = lines.get(key)
            if line is None:
                raise mismatch(
                    f"SSCC {unit['sscc']} holds batch {key[1]} (GTIN {key[0]}), "
                    "which is not a line of the shipment."
                )
            if unit["sscc"] not in line["ssccs"]:
                raise mismatch(f"SSCC {unit['sscc']} is not listed on the line of batch {key[1]}.")
            packed[key] += content["quantity"]
            described.add((unit["sscc"], key))
            _claim_serials(serial_owner, unit["sscc"], key, content["serials"], line["serials"])
    for key, line in lines.items():
        if packed[key] > line["quantity"]:
            raise mismatch(
                f"The logistic units hold {packed[key]} units of batch {key[1]}, "
                f"more than the {line['quantity']} shipped."
            )
        for sscc in line["ssccs"]:
            if (sscc, key) not in described:
                raise mismatch(f"SSCC {sscc} is listed on batch {key[1]} but holds none of it.")


def _claim_serials(
    owner: dict[tuple[BatchKey, str], str],
    sscc: str,
    key: BatchKey,
    serials: list[str],
    line_serials: list[str],
) -> None:
    shipped = set(line_serials)
    for serial in serials:
        if serial not in shipped:
            raise mismatch(f"Serial {serial} in SSCC {sscc} is not among the line's serials.")
        previous = owner.setdefault((key, serial), sscc)
        if previous != sscc:
            raise mismatch(f"Serial {serial} is packed in both SSCC {previous} and SSCC {sscc}.")
