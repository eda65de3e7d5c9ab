"""`pharmatrace ship` and `pharmatrace receive`: custody moves only by shipment."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from services.cli.context import (
    AsOption,
    LocationOption,
    acting,
    batch_line,
    cli_state,
    open_runtime,
    require_gln,
)
from services.domain import shipments
from services.errors import PharmaTraceError, invalid
from services.runtime import Runtime

LinesOption = Annotated[
    list[str],
    typer.Option(
        "--line",
        help="GTIN:LOT:QUANTITY, once per batch on the shipment.",
        show_default=False,
    ),
]


def ship(
    ctx: typer.Context,
    as_msp: AsOption,
    to: Annotated[str, typer.Option("--to", help="MSP ID of the receiver.")],
    line: LinesOption,
    key: Annotated[
        str,
        typer.Option(
            "--key",
            help="Idempotency key: shipping again with the same key cannot ship twice.",
        ),
    ] = "",
    to_location: Annotated[
        str, typer.Option("--to-location", help="The receiving premises' GLN.")
    ] = "",
    location: LocationOption = "",
) -> None:
    """Ship stock of one or more batches to a trading partner (in transit until received)."""
    state = cli_state(ctx)
    if not line:
        raise invalid("INVALID_LINE", "Give at least one --line GTIN:LOT:QUANTITY.")
    lines = [
        shipments.ShipmentLineRequest(gtin=gtin, lot=lot, quantity=quantity)
        for gtin, lot, quantity in (batch_line(value, "--line") for value in line)
    ]
    if to_location:
        require_gln(to_location, "--to-location")
    with open_runtime(ctx) as rt:
        actor = acting(rt, as_msp, location=location)
        shipment_id = shipments.shipment_id_for(actor.msp_id, key or None)
        try:
            committed = shipments.ship(
                rt,
                actor=actor,
                receiver=to,
                lines=lines,
                shipment_id=shipment_id,
                to_location=to_location,
            )
        except PharmaTraceError as exc:
            if not (key and exc.code == "SHIPMENT_EXISTS"):
                raise
            _report_replay(rt, state.out, actor.msp_id, shipment_id, key, exc)
            return
    units = sum(request.quantity for request in lines)
    state.out.print(
        f"[green]Shipped[/] {shipment_id}: {units} units in {len(lines)} line(s) from "
        f"{as_msp} to {to}, in transit; tx {committed.tx_id} in block {committed.block}.",
        soft_wrap=True,
    )


def _report_replay(
    rt: Runtime, out: Console, sender: str, shipment_id: str, key: str, error: PharmaTraceError
) -> None:
    """A retried ship with the same --key: the first attempt committed; say so, ship nothing."""
    shipment, _lines = shipments.get_shipment(rt, shipment_id)
    if shipment.sender != sender:
        raise error
    out.print(
        f"[yellow]Already shipped[/] {shipment_id} with --key {key} at {shipment.shipped_at} "
        f"({shipment.status.replace('_', ' ')}); nothing new was recorded.",
        soft_wrap=True,
    )


def receive(
    ctx: typer.Context,
    shipment_id: Annotated[str, typer.Argument(help="The shipment's id (SHP-…).")],
    as_msp: AsOption,
    counted: Annotated[
        list[str] | None,
        typer.Option(
            "--counted",
            help="GTIN:LOT:QUANTITY actually counted, where it differs from what was shipped.",
            show_default=False,
        ),
    ] = None,
    location: LocationOption = "",
) -> None:
    """Confirm a shipment's arrival; differences are recorded as discrepancies."""
    state = cli_state(ctx)
    received = [batch_line(value, "--counted") for value in counted or []]
    with open_runtime(ctx) as rt:
        committed = shipments.receive(
            rt,
            actor=acting(rt, as_msp, location=location),
            shipment_id=shipment_id,
            received=received or None,
        )
    status = committed.record["status"]
    colour = "green" if status == "received" else "yellow"
    state.out.print(
        f"[{colour}]Received[/] {shipment_id} at {as_msp}: {status.replace('_', ' ')}; "
        f"tx {committed.tx_id} in block {committed.block}.",
        soft_wrap=True,
    )
