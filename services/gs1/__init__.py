"""GS1 identifiers for pharmaceutical packs: check digits, parsing of every scan form, builders.

`parse_code` reads what a scanner delivers (GS1 DataMatrix element strings, the human-readable
"(01)...(17)...(10)...(21)..." text, GS1 Digital Link URIs, bare GTINs) into a `PackIdentifier`
plus per-field `Problem`s, and never raises. `to_element_string`, `to_human_readable` and
`to_digital_link` build the three forms back. biip (https://biip.readthedocs.io) provides the
GS1 tables, date rules, symbology identifiers and builders; the modules say where and why we
read by hand.
"""

from services.gs1.checkdigit import (
    gs1_check_digit,
    is_valid_gln,
    is_valid_gtin,
    is_valid_sscc,
    normalize_gtin,
)
from services.gs1.digital_link import to_digital_link
from services.gs1.element_string import to_element_string, to_human_readable
from services.gs1.errors import GS1Error
from services.gs1.model import PackIdentifier, ParseResult, Problem
from services.gs1.parse import parse_code

__all__ = [
    "GS1Error",
    "PackIdentifier",
    "ParseResult",
    "Problem",
    "gs1_check_digit",
    "is_valid_gln",
    "is_valid_gtin",
    "is_valid_sscc",
    "normalize_gtin",
    "parse_code",
    "to_digital_link",
    "to_element_string",
    "to_human_readable",
]
