"""`pharmatrace init`: create the data directory and identities, and bootstrap the regulator."""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli.context import cli_state, open_runtime, require_gln
from services.domain.organizations import bootstrap_regulator, get_organization


def init(
    ctx: typer.Context,
    regulator_msp: Annotated[str, typer.Option("--regulator-msp", help="The regulator's MSP ID.")],
    name: Annotated[str, typer.Option("--name", help="The regulator's name.")],
    gln: Annotated[str, typer.Option("--gln", help="The regulator's GLN (13 digits).")],
    address: Annotated[str, typer.Option("--address")] = "",
    country: Annotated[str, typer.Option("--country", help="ISO 3166 alpha-2 code.")] = "",
    latitude: Annotated[float | None, typer.Option("--latitude")] = None,
    longitude: Annotated[float | None, typer.Option("--longitude")] = None,
) -> None:
    """Create the data directory and identities, and register the regulator.

    The regulator's registration is the channel's first transaction. Running init again on an
    initialised directory changes nothing."""
    state = cli_state(ctx)
    require_gln(gln, "--gln")
    with open_runtime(ctx) as rt:
        existing = get_organization(rt, regulator_msp)
        if existing is not None and existing.role == "regulator":
            state.out.print(
                f"[yellow]Already initialised:[/] {existing.name} ({existing.msp_id}) is the "
                f"regulator of {rt.settings.data_dir}.",
                soft_wrap=True,
            )
            return
        committed = bootstrap_regulator(
            rt,
            msp_id=regulator_msp,
            name=name,
            gln=gln,
            address=address,
            country=country,
            latitude=latitude,
            longitude=longitude,
        )
        state.out.print(
            f"[green]Initialised[/] {rt.settings.data_dir}: regulator {name} ({regulator_msp}), "
            f"GLN {gln}; identities in {rt.settings.msp_dir}; tx {committed.tx_id} in block "
            f"{committed.block}.",
            soft_wrap=True,
        )
