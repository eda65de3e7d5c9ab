"""`pharmatrace org`: register trading partners, list them, change a licence (regulator acts)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from chaincode.model import LicenceStatus, Role
from services.cli.context import acting, cli_state, open_runtime, require_gln, the_regulator
from services.domain.organizations import (
    list_organizations,
    register_organization,
    set_licence_status,
)

app = typer.Typer(help="Organizations: register, list, licence.", no_args_is_help=True)

RegulatorOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        envvar="PHARMATRACE_AS",
        help="The regulator acting (its MSP ID); defaults to the network's only regulator.",
        show_default=False,
    ),
]


@app.command("register")
def register(
    ctx: typer.Context,
    msp: Annotated[str, typer.Option("--msp", help="MSP ID of the new organization.")],
    name: Annotated[str, typer.Option("--name")],
    role: Annotated[Role, typer.Option("--role", case_sensitive=False)],
    gln: Annotated[str, typer.Option("--gln", help="Premises GLN (13 digits).")],
    licence_number: Annotated[str, typer.Option("--licence-number")] = "",
    address: Annotated[str, typer.Option("--address")] = "",
    country: Annotated[str, typer.Option("--country", help="ISO 3166 alpha-2 code.")] = "",
    latitude: Annotated[float | None, typer.Option("--latitude")] = None,
    longitude: Annotated[float | None, typer.Option("--longitude")] = None,
    as_msp: RegulatorOption = None,
) -> None:
    """Register a trading partner (and create its identity in the MSP folder)."""
    state = cli_state(ctx)
    require_gln(gln, "--gln")
    with open_runtime(ctx) as rt:
        regulator = acting(rt, as_msp or the_regulator(rt))
        committed = register_organization(
            rt,
            actor=regulator,
            msp_id=msp,
            name=name,
            role=str(role),
            gln=gln,
            licence_number=licence_number,
            address=address,
            country=country,
            latitude=latitude,
            longitude=longitude,
        )
    state.out.print(
        f"[green]Registered[/] {name} ({msp}) as {role}, GLN {gln}; tx {committed.tx_id} "
        f"in block {committed.block}.",
        soft_wrap=True,
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    role: Annotated[Role | None, typer.Option("--role", case_sensitive=False)] = None,
) -> None:
    """The registered organizations."""
    state = cli_state(ctx)
    with open_runtime(ctx) as rt:
        rows = list_organizations(rt, role=str(role) if role else None)
    table = Table(title="Organizations")
    for column in ("MSP ID", "name", "role", "GLN", "licence", "country"):
        table.add_column(column)
    for org in rows:
        licence = (
            org.licence_status if org.licence_status == "active" else f"[red]{org.licence_status}"
        )
        table.add_row(org.msp_id, org.name, org.role, org.gln, licence, org.country)
    state.out.print(table)


@app.command("licence")
def licence(
    ctx: typer.Context,
    msp: Annotated[str, typer.Argument(help="MSP ID of the organization.")],
    status: Annotated[LicenceStatus, typer.Argument(case_sensitive=False)],
    reason: Annotated[str, typer.Option("--reason")] = "",
    as_msp: RegulatorOption = None,
) -> None:
    """Set an organization's licence status: active, suspended or revoked."""
    state = cli_state(ctx)
    with open_runtime(ctx) as rt:
        regulator = acting(rt, as_msp or the_regulator(rt))
        committed = set_licence_status(
            rt,
            actor=regulator,
            msp_id=msp,
            licence_status=str(status),
            reason=reason,
        )
    state.out.print(
        f"[green]Licence of {msp}[/] is now {status}; tx {committed.tx_id} in block "
        f"{committed.block}.",
        soft_wrap=True,
    )
