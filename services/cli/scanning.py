"""`pharmatrace verify`, `dispense` and `undo`: what a pharmacist does at the counter.

A code is given as scanned: a GS1 element string (GS typed as `\\x1d`), the human-readable
"(01)…(17)…(10)…(21)…" text, or a GS1 Digital Link URI; `-` reads it from stdin.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from services.cli.context import (
    AsOption,
    LocationOption,
    UserOption,
    acting,
    cli_state,
    open_runtime,
    read_code,
)
from services.domain import packs
from services.domain.verification import Verdict, verify

CodeArgument = Annotated[
    str,
    typer.Argument(
        help="The scanned code: element string (GS as \\x1d), (01)… text, Digital Link, or -.",
        show_default=False,
    ),
]

LIGHT_STYLES = {"green": "bold green", "amber": "bold orange1", "red": "bold red"}
LIGHT_ADVICE = {"green": "dispense", "amber": "check before dispensing", "red": "do not dispense"}


class DecommissionStatus(StrEnum):
    """What a decommissioning sets a pack to (EU FMD); supplied = dispensed to a patient."""

    supplied = "supplied"
    destroyed = "destroyed"
    stolen = "stolen"
    sample = "sample"
    free_sample = "free_sample"
    locked = "locked"
    exported = "exported"
    checked_out = "checked_out"


def verdict_panel(verdict: Verdict) -> Panel:
    """The traffic light: a panel in the verdict's colour with the reasons in plain words."""
    style = LIGHT_STYLES.get(verdict.light, "bold")
    details = Table.grid(padding=(0, 2))
    details.add_column(style="dim")
    details.add_column()
    if verdict.product:
        details.add_row("product", escape(str(verdict.product["name"])))
    ident = verdict.identifier
    for name in ("gtin", "lot", "serial", "expiry"):
        if ident.get(name):
            details.add_row(name, escape(str(ident[name])))
    if verdict.batch:
        details.add_row("batch status", escape(str(verdict.batch["status"])))
    if verdict.pack:
        pack = verdict.pack
        details.add_row("pack", escape(f"{pack['status']} by {pack['by']} at {pack['at']}"))
    if verdict.custody:
        details.add_row("you hold", str(verdict.custody.get("yours", 0)))
    reasons = Text()
    for reason in verdict.reasons:
        reasons.append(f"• {reason}\n", style=style if verdict.light != "green" else "")
    title = f"{verdict.light.upper()} · {verdict.result} · {LIGHT_ADVICE.get(verdict.light, '')}"
    footer = f"scan #{verdict.scan_id} at {verdict.scanned_at}" if verdict.scan_id else ""
    return Panel(
        Group(reasons, details),
        title=Text(title, style=style),
        subtitle=footer,
        border_style=style,
        expand=False,
    )


def verify_command(
    ctx: typer.Context,
    code: CodeArgument,
    as_msp: AsOption,
    user: UserOption = "cli",
    location: LocationOption = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Verify a pack as a pharmacist or warehouse would: green, amber or red, with reasons.

    The scan is recorded in the scan log. The exit status is 0 whatever the light."""
    state = cli_state(ctx)
    scanned = read_code(code)
    with open_runtime(ctx) as rt:
        verdict = verify(rt, actor=acting(rt, as_msp, user=user, location=location), code=scanned)
    if as_json:
        typer.echo(json.dumps(asdict(verdict), ensure_ascii=False))
    else:
        state.out.print(verdict_panel(verdict))


def _print_pack(out: Console, verb: str, record: dict[str, object], tx_id: str, block: int) -> None:
    out.print(
        f"[green]{verb}[/] pack {record['gtin']}/{escape(str(record['serial']))} "
        f"(batch {escape(str(record['lot']))}) by {record['msp_id']} at {record['location']}: "
        f"now {record['status']}; tx {tx_id} in block {block}.",
        soft_wrap=True,
    )


def dispense_command(
    ctx: typer.Context,
    code: CodeArgument,
    as_msp: AsOption,
    status: Annotated[
        DecommissionStatus, typer.Option("--status", help="What the pack becomes.")
    ] = DecommissionStatus.supplied,
    user: UserOption = "cli",
    location: LocationOption = "",
) -> None:
    """Decommission a pack: supplied (dispensed to a patient) unless --status says otherwise.

    Refused when the pack is already inactive, its batch is recalled or expired, or the acting
    organization holds no stock of its batch."""
    state = cli_state(ctx)
    scanned = read_code(code)
    with open_runtime(ctx) as rt:
        actor = acting(rt, as_msp, user=user, location=location)
        committed = packs.decommission(rt, actor=actor, code=scanned, status=str(status))
    _print_pack(state.out, "Decommissioned", committed.record, committed.tx_id, committed.block)


def undo_command(
    ctx: typer.Context,
    code: CodeArgument,
    as_msp: AsOption,
    user: UserOption = "cli",
    location: LocationOption = "",
) -> None:
    """Undo a decommissioning: within 10 days, same organization, same premises (EU FMD)."""
    state = cli_state(ctx)
    scanned = read_code(code)
    with open_runtime(ctx) as rt:
        actor = acting(rt, as_msp, user=user, location=location)
        committed = packs.undo(rt, actor=actor, code=scanned)
    _print_pack(state.out, "Reactivated", committed.record, committed.tx_id, committed.block)
