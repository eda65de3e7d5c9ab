"""The one exception this package raises.

Parsing never raises (it reports `Problem`s instead); `GS1Error` is for programming mistakes:
computing a check digit of non-digits, normalising an invalid GTIN, constructing a
`PackIdentifier` whose fields break the GS1 rules, or building a barcode payload from an
identifier that has no GTIN/SSCC. It subclasses `ValueError` so generic callers still catch it.
"""


class GS1Error(ValueError):
    """Misuse of a GS1 builder or constructor (the input breaks a GS1 rule)."""
