"""`pharmatrace batch import FILE --as MSP`: register many batches from a CSV or Excel export.

Every row is checked before anything is submitted; each batch (group of rows) with an error is
skipped whole and every other batch is committed. The summary and the error table go to stdout,
progress bars to stderr (on a terminal only). Exit status 0 when every row was fine, 2 when some
rows had errors (the valid batches were committed all the same; fix the rows and run the same
file again: what is already registered is not written twice) or the file cannot be read at all.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from services.batch_import.errors import ImportFileError, RowError
from services.cli.context import AsOption, acting, cli_state, open_runtime
from services.cli.errors import EXIT_REFUSED, print_error
from services.cli.progress import progress_bars
from services.domain.batch_import import ImportReport, import_batches

SHOWN = 50
OUTCOME_STYLE = {
    "committed": "[green]committed[/]",
    "already_registered": "[cyan]already registered[/]",
    "skipped_invalid": "[red]skipped (invalid)[/]",
    "failed": "[bold red]failed[/]",
}
LAYOUTS = {"batches": "one row per batch", "packs": "one row per pack"}


def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="CSV UTF-8 (.csv, .tsv, .txt) or Excel (.xlsx) with the columns gtin, lot, "
            "expiry and quantity (one row per batch) or serial (one row per pack).",
            show_default=False,
        ),
    ],
    as_msp: AsOption,
    report_csv: Annotated[
        Path | None,
        typer.Option(
            "--report-csv",
            dir_okay=False,
            help="Also write every error to this CSV file (row, column, code, message).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Register the batches of an ERP export; batches with any error are skipped whole."""
    state = cli_state(ctx)
    with open_runtime(ctx) as rt, progress_bars(state.err) as progress, file.open("rb") as source:
        actor = acting(rt, as_msp)
        reading = progress.add_task("rows read", total=None)
        committing = progress.add_task("batches committed", total=None)

        def on_progress(rows_read: int, batches_committed: int) -> None:
            progress.update(reading, completed=rows_read)
            progress.update(committing, completed=batches_committed)

        try:
            report = import_batches(
                rt, actor=actor, source=source, filename=file.name, progress=on_progress
            )
        except ImportFileError as error:
            if report_csv is not None:
                _write_errors(report_csv, error.problems)
            raise
    if report_csv is not None:
        _write_errors(report_csv, report.errors)
    _print_report(state.out, report, report_csv)
    if report.error_count:
        print_error(state.err, "IMPORT_INCOMPLETE", _incomplete(report))
        raise typer.Exit(EXIT_REFUSED)


def _incomplete(report: ImportReport) -> str:
    rows = f"{report.error_count:,} error{'s' if report.error_count != 1 else ''}"
    not_done = report.skipped_invalid + report.failed
    done = report.committed + report.already_registered
    return (
        f"{rows} in {report.filename}: {not_done:,} batch{'es' if not_done != 1 else ''} "
        f"not registered; the {done:,} valid one{'s' if done != 1 else ''} "
        f"{'are' if done != 1 else 'is'} on the ledger. Fix the rows and import the file again."
    )


def _write_errors(path: Path, errors: list[RowError]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "column", "code", "message"])
        writer.writerows([error.row, error.column, error.code, error.message] for error in errors)


def _print_report(out: Console, report: ImportReport, report_csv: Path | None) -> None:
    kind = "CSV" if report.file_type == "csv" else "Excel"
    out.print(
        f"[bold]{escape(report.filename)}[/] ({kind}, {LAYOUTS[report.layout]}): "
        f"{report.rows_read:,} rows, {len(report.batches):,} batches — "
        f"[green]{report.committed:,} committed[/], "
        f"[cyan]{report.already_registered:,} already registered[/], "
        f"[red]{report.skipped_invalid:,} skipped (invalid)[/], "
        f"[bold red]{report.failed:,} failed[/].",
        soft_wrap=True,
        highlight=False,
    )
    batches = Table(title="Batches", title_justify="left")
    batches.add_column("row", justify="right", no_wrap=True)
    batches.add_column("gtin", no_wrap=True)
    batches.add_column("lot", no_wrap=True)
    batches.add_column("expiry", no_wrap=True)
    batches.add_column("packs", justify="right", no_wrap=True)
    batches.add_column("outcome", no_wrap=True)
    batches.add_column("tx / block", overflow="fold")
    for batch in report.batches[:SHOWN]:
        batches.add_row(
            str(batch.first_row),
            escape(batch.gtin),
            escape(batch.lot),
            batch.expiry or "",
            "" if batch.quantity is None else f"{batch.quantity:,}",
            OUTCOME_STYLE[batch.status],
            f"{batch.tx_id[:16]}… / {batch.block}" if batch.tx_id else "",
        )
    out.print(batches)
    if len(report.batches) > SHOWN:
        out.print(f"… and {len(report.batches) - SHOWN:,} more batches.")
    if not report.errors:
        return
    errors = Table(title="Errors", title_justify="left")
    errors.add_column("row", justify="right", no_wrap=True)
    errors.add_column("column", no_wrap=True)
    errors.add_column("code", no_wrap=True, style="red")
    errors.add_column("message", overflow="fold")
    for error in report.errors[:SHOWN]:
        errors.add_row(str(error.row), escape(error.column), error.code, escape(error.message))
    out.print(errors)
    if report.error_count > SHOWN:
        where = (
            f"{report_csv} lists {len(report.errors):,}"
            if report_csv is not None
            else f"--report-csv FILE writes up to {len(report.errors):,}"
        )
        out.print(f"Showing {SHOWN} of {report.error_count:,} errors; {where}.", highlight=False)
