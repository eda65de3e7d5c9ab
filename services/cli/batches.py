"""`pharmatrace batch`: mint a batch token from a serial file or a quantity, show it, recall it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from services.cli.context import (
    AsOption,
    acting,
    cli_state,
    open_runtime,
    parse_date,
    require_gtin,
)
from services.cli.progress import progress_bars
from services.domain.batches import change_batch_status, get_batch, register_batch
from services.errors import invalid

app = typer.Typer(help="Batches: register, show, recall.", no_args_is_help=True)


def _serials_from(path: Path, progress: Progress) -> Iterator[str]:
    """One serial a line (blank lines and surrounding spaces ignored), with a bar by bytes."""
    task = progress.add_task("serial file (bytes)", total=path.stat().st_size)
    with path.open("rb") as lines:
        for raw in lines:
            progress.advance(task, len(raw))
            serial = raw.strip().decode("ascii", errors="replace")
            if serial:
                yield serial


@app.command("register")
def register(
    ctx: typer.Context,
    as_msp: AsOption,
    gtin: Annotated[str, typer.Option("--gtin")],
    lot: Annotated[str, typer.Option("--lot", help="Batch/lot number (AI 10).")],
    expiry: Annotated[str, typer.Option("--expiry", help="Expiry date, YYYY-MM-DD.")],
    serials_file: Annotated[
        Path | None,
        typer.Option(
            "--serials-file",
            exists=True,
            dir_okay=False,
            readable=True,
            help="A file with one serial number a line.",
        ),
    ] = None,
    quantity: Annotated[
        int | None, typer.Option("--quantity", help="Generate this many random serials.")
    ] = None,
    manufactured: Annotated[
        str | None, typer.Option("--manufactured", help="Manufacturing date, YYYY-MM-DD.")
    ] = None,
) -> None:
    """Mint the batch token with a commitment to its serial numbers (count + Merkle root)."""
    state = cli_state(ctx)
    if (serials_file is None) == (quantity is None):
        raise invalid("INVALID_ARGUMENT", "Give either --serials-file or --quantity (one of them).")
    expiry_date = parse_date(expiry, "--expiry")
    made = parse_date(manufactured, "--manufactured") if manufactured else None
    with open_runtime(ctx) as rt, progress_bars(state.err) as progress:
        actor = acting(rt, as_msp)
        serials = list(_serials_from(serials_file, progress)) if serials_file else None
        task = progress.add_task("committing", total=None)
        registered = register_batch(
            rt,
            actor=actor,
            gtin=gtin,
            lot=lot,
            expiry=expiry_date,
            serials=serials,
            quantity=quantity,
            manufactured=made,
        )
        progress.update(task, total=1, completed=1)
    state.out.print(
        f"[green]Registered batch[/] {registered.lot} of {registered.gtin}: "
        f"{registered.quantity} serials, Merkle root {registered.merkle_root[:16]}…; "
        f"tx {registered.tx_id} in block {registered.block}.",
        soft_wrap=True,
    )


@app.command("show")
def show(
    ctx: typer.Context,
    gtin: Annotated[str, typer.Argument()],
    lot: Annotated[str, typer.Argument()],
) -> None:
    """A batch: its token, status and who holds how much of it."""
    state = cli_state(ctx)
    with open_runtime(ctx) as rt:
        batch, holdings = get_batch(rt, require_gtin(gtin), lot)
    _print_batch(state.out, batch.model_dump(), [(h.msp_id, h.quantity) for h in holdings])


def _print_batch(out: Console, batch: dict[str, object], holdings: list[tuple[str, int]]) -> None:
    details = Table.grid(padding=(0, 2))
    details.add_column(style="bold")
    details.add_column()
    for name in ("gtin", "lot", "product_name", "manufacturer", "expiry", "quantity", "status"):
        details.add_row(name.replace("_", " "), str(batch[name]))
    if batch.get("status_reason"):
        details.add_row("reason", str(batch["status_reason"]))
    details.add_row("registered", f"{batch['registered_at']} (tx {batch['tx_id']})")
    out.print(details)
    table = Table(title="Holdings")
    table.add_column("holder")
    table.add_column("quantity", justify="right")
    for msp_id, quantity in holdings:
        table.add_row(msp_id, str(quantity))
    out.print(table)


@app.command("recall")
def recall(
    ctx: typer.Context,
    as_msp: AsOption,
    gtin: Annotated[str, typer.Argument()],
    lot: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown to every later scan).")],
) -> None:
    """Recall a batch (its manufacturer or a regulator): final; every later scan shows red."""
    state = cli_state(ctx)
    with open_runtime(ctx) as rt:
        committed = change_batch_status(
            rt,
            actor=acting(rt, as_msp),
            gtin=require_gtin(gtin),
            lot=lot,
            status="recalled",
            reason=reason,
        )
    state.out.print(
        f"[bold red]Recalled[/] batch {lot} of {committed.record['gtin']}: {reason}; "
        f"tx {committed.tx_id} in block {committed.block}.",
        soft_wrap=True,
    )
