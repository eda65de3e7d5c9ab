"""The register-batch form: raw form fields → the API's `BatchCreate`, or problems per field.

The page validates with the same request model as `POST /api/v1/batches`, so a lot or a GTIN the
API would refuse is refused here with the same rule, phrased for the form's labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from services.api.models import BatchCreate
from services.errors import PharmaTraceError

FIELD_LABELS = {
    "gtin": "Product",
    "lot": "Lot",
    "expiry": "Expiry date",
    "quantity": "Quantity",
}


class FormError(PharmaTraceError):
    """The form has problems; `problems` names each field in the words of the form."""

    def __init__(
        self,
        problems: list[str],
        *,
        message: str = "The batch was not registered: correct the fields below and submit again.",
    ) -> None:
        super().__init__("INVALID_REQUEST", message, status=422)
        self.problems = problems


@dataclass(frozen=True)
class RegistrationForm:
    gtin: str
    lot: str
    expiry: str
    quantity: str

    def validated(self) -> BatchCreate:
        """The request the form stands for, or FormError."""
        fields = {
            "gtin": self.gtin.strip(),
            "lot": self.lot.strip(),
            "expiry": self.expiry.strip(),
            "quantity": self.quantity.strip(),
        }
        missing = [
            f"{FIELD_LABELS[name]} is required." for name, value in fields.items() if not value
        ]
        if missing:
            raise FormError(missing)
        try:
            return BatchCreate.model_validate(fields)
        except ValidationError as exc:
            raise FormError([_phrase(error) for error in exc.errors()]) from exc


def _phrase(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error["loc"] else ""
    label = FIELD_LABELS.get(field, field or "The form")
    message = error["msg"].removeprefix("Value error, ")
    if field == "quantity" and error["type"] in ("int_parsing", "int_from_float"):
        message = "must be a whole number"
    elif field == "expiry" and error["type"].startswith("date"):
        message = "must be a date (YYYY-MM-DD)"
    return f"{label}: {message}."
