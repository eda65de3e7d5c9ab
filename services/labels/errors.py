"""The labels package's errors, one tree so callers can catch `LabelError` alone.

    LabelError (ValueError)
    ├── LabelDataError      the data cannot go on a label (missing field, refused by the encoder)
    ├── LabelLayoutError    the symbols and text do not fit the requested size
    └── UnknownBatchError   (also LookupError) no such batch in the read model

Each is a `ValueError`: every one of them is caused by what the caller asked for, never by the
machine, so an API layer can map the whole tree to a 4xx answer.
"""

__all__ = ["LabelDataError", "LabelError", "LabelLayoutError", "UnknownBatchError"]


class LabelError(ValueError):
    """Base of every error raised by services.labels."""


class LabelDataError(LabelError):
    """The identifier or text cannot be encoded (missing field, encoder refused it)."""


class LabelLayoutError(LabelError):
    """The label is too small for its symbols at the minimum module size, or for its text."""


class UnknownBatchError(LabelError, LookupError):
    """No batch with that GTIN and lot in the read model."""
