"""`pharmatrace detect`: run every detection rule over the read model and list the alerts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from services.cli.context import cli_state, open_runtime
from services.detection.engine import detect, store
from services.detection.incremental import detect_new
from services.detection.rules import RuleSet

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def detect_command(
    ctx: typer.Context,
    rule: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Run only this rule (repeatable); default: all."),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Store the alerts (kept statuses).")
    ] = True,
    new: Annotated[
        bool,
        typer.Option("--new", help="Incremental: only batches touched since the last --new run."),
    ] = False,
) -> None:
    """Run the counterfeit and provenance-gap rules over the whole history (bulk mode)."""
    state = cli_state(ctx)
    try:
        rules = RuleSet().only(rule) if rule else RuleSet()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--rule") from exc
    with open_runtime(ctx) as rt:
        if new:
            report = detect_new(rt, rules)  # stores, and advances its cursor
            saved = "; stored, cursor advanced"
        else:
            report = detect(rt, rules)
            added, updated = store(rt, report.findings) if save else (0, 0)
            saved = f"; stored: {added} new, {updated} updated" if save else ""
    table = Table(title=f"{len(report.findings)} alerts", show_lines=True)
    for column in ("rule", "severity", "score", "alert", "evidence"):
        table.add_column(column, overflow="fold")
    for f in report.findings:
        style = SEVERITY_STYLE.get(f.severity, "")
        evidence = ", ".join(f.evidence[:4]) + (" …" if len(f.evidence) > 4 else "")
        score = "certain" if f.certain else f"{f.score:.2f}"
        table.add_row(f.rule, f"[{style}]{f.severity}[/]", score, f.sentence, evidence)
    state.out.print(table)
    total = sum(report.seconds.values())
    state.out.print(f"{len(rules.rules)} rules in {total:.2f} s{saved}.", soft_wrap=True)
