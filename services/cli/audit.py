"""`pharmatrace audit`: the audit trail (ledger writes and verifications), newest first."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Annotated, Literal, cast

import typer
from rich.markup import escape
from rich.table import Table

from services.audit import AuditQuery, audit_trail
from services.cli.context import cli_state, open_runtime
from services.errors import invalid

OUTCOME_STYLE = {"committed": "green", "verified": "green"}


def _moment(value: str, option: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise invalid(
            "INVALID_DATE",
            f"{option} takes an ISO date or time (2026-01-05T09:00Z), not {value!r}.",
        ) from None


def audit_command(
    ctx: typer.Context,
    msp: Annotated[str, typer.Option("--msp", help="Only this organization.")] = "",
    user: Annotated[str, typer.Option("--user", help="Only this user.")] = "",
    action: Annotated[
        str, typer.Option("--action", help="A contract function (Ship, RegisterBatch…) or Verify.")
    ] = "",
    kind: Annotated[
        str, typer.Option("--kind", help="write or verification (default: both).")
    ] = "",
    since: Annotated[str, typer.Option("--since", help="From this date/time (ISO).")] = "",
    until: Annotated[str, typer.Option("--until", help="Before this date/time (ISO).")] = "",
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Who wrote or verified what, for which organization, where and when."""
    state = cli_state(ctx)
    if kind not in ("", "write", "verification"):
        raise invalid("INVALID_KIND", f"--kind is write or verification, not {kind!r}.")
    query = AuditQuery(
        msp_id=msp,
        user=user,
        action=action,
        kind=cast(Literal["write", "verification"], kind) if kind else None,
        since=_moment(since, "--since"),
        until=_moment(until, "--until"),
        limit=limit,
    )
    with open_runtime(ctx) as rt:
        items = audit_trail(rt, query)
    if as_json:
        for item in items:
            typer.echo(json.dumps(dataclasses.asdict(item), sort_keys=True))
        return
    if not items:
        state.err.print("Nothing recorded matches.")
        return
    table = Table(title=f"Audit trail ({len(items)})", title_justify="left")
    for column in ("at", "organization", "user", "where", "action"):
        table.add_column(column, overflow="fold")
    table.add_column("outcome", no_wrap=True, min_width=9)
    table.add_column("tx", overflow="fold")
    for item in items:
        style = OUTCOME_STYLE.get(item.outcome, "yellow")
        where = " ".join(part for part in (item.location, f"({item.origin})") if part)
        table.add_row(
            item.at,
            item.msp_id,
            escape(item.user),
            escape(where),
            item.action,
            f"[{style}]{escape(item.outcome)}[/]",
            (item.tx_id or "")[:16],
        )
    state.out.print(table)
