"""`pharmatrace users`: API tokens for people of a registered organization."""

from __future__ import annotations

from typing import Annotated

import typer

from services.auth.tokens import create_token
from services.cli.context import LocationOption, cli_state, open_runtime, require_gln

app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    msp: Annotated[str, typer.Option("--msp", help="The user's organization (MSP ID).")],
    user: Annotated[str, typer.Option("--user", help="The user's name, e.g. an e-mail.")],
    location: LocationOption = "",
) -> None:
    """Create an API token for USER of MSP. It is printed once and stored only as a hash."""
    state = cli_state(ctx)
    if location:
        require_gln(location, "--location")
    with open_runtime(ctx) as rt:
        token = create_token(rt, user=user, msp_id=msp, location=location)
    state.err.print(
        f"API token for [bold]{user}[/] of {msp}. It is shown only this once: store it now.",
        soft_wrap=True,
    )
    typer.echo(token)
