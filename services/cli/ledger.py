"""`pharmatrace ledger verify`: re-check the embedded ledger's hash chain and world state."""

from __future__ import annotations

import typer

from services.cli.context import cli_state
from services.cli.errors import EXIT_INTEGRITY, print_error
from services.cli.progress import progress_bars
from services.errors import not_found
from services.ledger.embedded.audit import verify_chain

app = typer.Typer(help="The ledger: verify its integrity.", no_args_is_help=True)


@app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Recompute every block's hashes and compare the world state with the key history.

    Exits with 4 and names the first broken block when anything does not check out."""
    state = cli_state(ctx)
    path = state.settings().ledger_path
    if not path.is_file():
        raise not_found("NO_LEDGER", f"There is no ledger at {path} (run `pharmatrace init`).")
    with progress_bars(state.err) as progress:
        task = progress.add_task("verifying", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = verify_chain(path, advance)
    if not report.ok:
        print_error(
            state.err,
            "LEDGER_BROKEN",
            f"block {report.first_broken_block}: {report.reason} "
            f"({report.blocks_checked} blocks checked before it).",
        )
        raise typer.Exit(EXIT_INTEGRITY)
    state.out.print(
        f"[green]ok[/]: {report.blocks_checked} blocks and {report.transactions_checked} "
        f"transactions verified; the world state matches the history.",
        soft_wrap=True,
    )
