"""`pharmatrace users`: API tokens for people of a registered organization: create, list, revoke.

Tokens are shown once, at creation, and stored only as hashes; afterwards a token is named by its
id (the first 12 hex digits of its hash), which `users list` shows and `users revoke` takes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from services.auth.admin import list_tokens, revoke_token_id, revoke_user
from services.auth.tokens import create_token, token_id
from services.cli.context import LocationOption, cli_state, open_runtime, require_gln
from services.errors import invalid

app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)

_DURATION = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}

MspFilter = Annotated[
    str, typer.Option("--msp", help="Only this organization (MSP ID).", show_default=False)
]
UserFilter = Annotated[str, typer.Option("--user", help="Only this user.", show_default=False)]


def parse_lifetime(value: str) -> timedelta:
    """`90d`, `12h` or `30m`: how long a new token stays valid."""
    match = _DURATION.fullmatch(value.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise invalid(
            "INVALID_LIFETIME",
            f"--expires-in takes a positive number of days, hours or minutes (90d, 12h, 30m), "
            f"not {value!r}.",
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@app.command("create")
def create(
    ctx: typer.Context,
    msp: Annotated[str, typer.Option("--msp", help="The user's organization (MSP ID).")],
    user: Annotated[str, typer.Option("--user", help="The user's name, e.g. an e-mail.")],
    location: LocationOption = "",
    expires_in: Annotated[
        str,
        typer.Option(
            "--expires-in",
            help="Lifetime: 90d, 12h, 30m (default: PHARMATRACE_TOKEN_LIFETIME_DAYS, 90 days).",
            show_default=False,
        ),
    ] = "",
) -> None:
    """Create an API token for USER of MSP. It is printed once and stored only as a hash."""
    state = cli_state(ctx)
    if location:
        require_gln(location, "--location")
    lifetime = parse_lifetime(expires_in) if expires_in else None
    with open_runtime(ctx) as rt:
        token = create_token(rt, user=user, msp_id=msp, location=location, expires_in=lifetime)
        expires_at = next(t.expires_at for t in list_tokens(rt) if t.token_id == token_id(token))
    state.err.print(
        f"API token {token_id(token)} for [bold]{user}[/] of {msp}, valid until {expires_at}. "
        "It is shown only this once: store it now.",
        soft_wrap=True,
    )
    typer.echo(token)


@app.command("list")
def list_command(
    ctx: typer.Context,
    msp: MspFilter = "",
    user: UserFilter = "",
    all_tokens: Annotated[
        bool, typer.Option("--all", help="Also expired and revoked tokens.")
    ] = False,
) -> None:
    """List API tokens (by id; the tokens themselves are never stored)."""
    state = cli_state(ctx)
    with open_runtime(ctx) as rt:
        tokens = list_tokens(rt, msp_id=msp, user=user, include_inactive=all_tokens)
    if not tokens:
        state.err.print("No tokens match." if msp or user else "No tokens yet.")
        return
    table = Table(title="API tokens", title_justify="left")
    table.add_column("id", no_wrap=True, min_width=12)
    for column in ("user", "organization", "role", "location", "created", "expires", "last used"):
        table.add_column(column, overflow="fold")
    table.add_column("status", no_wrap=True, min_width=7)
    for t in tokens:
        style = {"active": "green", "expired": "yellow", "revoked": "red"}[t.status]
        table.add_row(
            t.token_id,
            t.user,
            t.msp_id,
            t.role,
            t.location,
            t.created_at[:16],
            (t.expires_at or "never")[:16],
            (t.last_used_at or "")[:16],
            f"[{style}]{t.status}[/]",
        )
    state.out.print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token: Annotated[
        str,
        typer.Argument(help="The token's id (see `users list`).", show_default=False),
    ] = "",
    msp: MspFilter = "",
    user: Annotated[
        str, typer.Option("--user", help="Revoke every token of this user (with --msp).")
    ] = "",
) -> None:
    """Revoke one token by its id, or every token of a user (--msp and --user).

    A running server refuses a revoked token at once in the process that revoked it and within
    two seconds in every other process."""
    state = cli_state(ctx)
    if bool(token) == bool(user):
        raise invalid("INVALID_ARGUMENTS", "Give either a token id or --user (with --msp).")
    if user and not msp:
        raise invalid("INVALID_ARGUMENTS", "--user needs --msp: user names are per organization.")
    with open_runtime(ctx) as rt:
        if token:
            info = revoke_token_id(rt, token, msp_id=msp)
            state.err.print(f"Revoked token {info.token_id} of {info.user} ({info.msp_id}).")
            return
        count = revoke_user(rt, msp_id=msp, user=user)
    if count == 0:
        raise invalid("NO_ACTIVE_TOKEN", f"{user} of {msp} has no token left to revoke.")
    state.err.print(f"Revoked {count} token{'s' if count > 1 else ''} of {user} ({msp}).")
