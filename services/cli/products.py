"""`pharmatrace product`: a manufacturer registers its GTINs; anyone lists them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from services.cli.context import AsOption, acting, cli_state, open_runtime
from services.domain.products import list_products, register_product

app = typer.Typer(help="Products (GTINs): register, list.", no_args_is_help=True)


@app.command("register")
def register(
    ctx: typer.Context,
    as_msp: AsOption,
    gtin: Annotated[str, typer.Option("--gtin", help="GTIN-8/12/13/14 with its check digit.")],
    name: Annotated[str, typer.Option("--name")],
    form: Annotated[str, typer.Option("--form", help="e.g. tablet, capsule.")] = "",
    strength: Annotated[str, typer.Option("--strength", help="e.g. 500 mg.")] = "",
    pack_size: Annotated[str, typer.Option("--pack-size", help="e.g. 20.")] = "",
    national_code: Annotated[str, typer.Option("--national-code", help="e.g. a PZN.")] = "",
) -> None:
    """Register a product of the acting manufacturer."""
    state = cli_state(ctx)
    with open_runtime(ctx) as rt:
        committed = register_product(
            rt,
            actor=acting(rt, as_msp),
            gtin=gtin,
            name=name,
            form=form,
            strength=strength,
            pack_size=pack_size,
            national_code=national_code,
        )
    state.out.print(
        f"[green]Registered[/] {committed.record['gtin']} {name} for {as_msp}; "
        f"tx {committed.tx_id} in block {committed.block}.",
        soft_wrap=True,
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    manufacturer: Annotated[
        str | None, typer.Option("--manufacturer", help="Only this manufacturer's (MSP ID).")
    ] = None,
) -> None:
    """The registered products."""
    state = cli_state(ctx)
    with open_runtime(ctx) as rt:
        rows = list_products(rt, manufacturer=manufacturer)
    table = Table(title="Products")
    for column in ("GTIN", "name", "form", "strength", "pack", "manufacturer"):
        table.add_column(column)
    for product in rows:
        table.add_row(
            product.gtin,
            product.name,
            product.form,
            product.strength,
            product.pack_size,
            product.manufacturer,
        )
    state.out.print(table)
