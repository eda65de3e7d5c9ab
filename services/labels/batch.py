"""`labels_for_batch`: the (pack, product name) of every serial of a registered batch, streamed.

Reads the read model: the batch's expiry from `Batch`, the product name from `Product` (the
name copied onto the batch when the product row is missing), and the serials from
`SerialNumber` in leaf order, i.e. the order of the batch's Merkle tree, which is the order the
manufacturer registered them in. Rows are fetched `chunk_size` at a time over one open
connection (`yield_per`: a server-side cursor on PostgreSQL, SQLite's own stepping otherwise),
so a batch of a million serials never sits in memory. The connection stays open while the
caller iterates; close the generator (or exhaust it) to release it.
"""

import datetime as dt
from collections.abc import Generator

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.gs1 import GS1Error, PackIdentifier, is_valid_gtin, normalize_gtin
from services.labels.errors import LabelDataError, UnknownBatchError
from services.readmodel.tables import Batch, Product, SerialNumber

__all__ = ["labels_for_batch"]


def labels_for_batch(
    engine: Engine, *, gtin: str, lot: str, chunk_size: int = 1_000
) -> Generator[tuple[PackIdentifier, str], None, None]:
    """Yield (PackIdentifier, product name) for each serial of batch (`gtin`, `lot`).

    The batch is looked up at once (so a wrong GTIN or lot fails here, not at the first
    `next`); the serials are read as the caller iterates.

    Raises:
        UnknownBatchError: no such batch in the read model.
        LabelDataError: `gtin` is not a GTIN, or `chunk_size` is not positive.
    """
    if not is_valid_gtin(gtin):
        msg = f"{gtin!r} is not a GTIN with a valid check digit."
        raise LabelDataError(msg)
    if chunk_size < 1:
        msg = f"chunk_size must be positive, got {chunk_size}."
        raise LabelDataError(msg)
    gtin = normalize_gtin(gtin)
    with Session(engine) as session:
        batch = session.get(Batch, (gtin, lot))
        if batch is None:
            msg = f"No batch {lot} of GTIN {gtin} in the read model."
            raise UnknownBatchError(msg)
        product = session.get(Product, gtin)
        name = product.name if product is not None else batch.product_name
        expiry = dt.date.fromisoformat(batch.expiry)
    return _serial_labels(engine, gtin, lot, expiry, name, chunk_size)


def _serial_labels(
    engine: Engine, gtin: str, lot: str, expiry: dt.date, name: str, chunk_size: int
) -> Generator[tuple[PackIdentifier, str], None, None]:
    query = (
        select(SerialNumber.serial)
        .where(SerialNumber.gtin == gtin, SerialNumber.lot == lot)
        .order_by(col(SerialNumber.leaf_index))
    )
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=chunk_size).execute(query)
        for (serial,) in rows:
            try:
                yield PackIdentifier(gtin=gtin, lot=lot, serial=serial, expiry=expiry), name
            except GS1Error as exc:  # a row the registration should have refused
                msg = f"Serial {serial!r} of batch {lot} cannot be labelled: {exc}"
                raise LabelDataError(msg) from exc
