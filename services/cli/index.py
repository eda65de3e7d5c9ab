"""`pharmatrace index`: the read model is derived from the ledger and can be rebuilt from it."""

from __future__ import annotations

import threading

import typer
from sqlalchemy.exc import SQLAlchemyError

from services.cli.context import cli_state, open_runtime
from services.cli.progress import progress_bars
from services.runtime import Runtime

app = typer.Typer(help="The read model: rebuild it from the ledger.", no_args_is_help=True)


def _indexed_block(rt: Runtime) -> int:
    try:
        checkpoint = rt.indexer.checkpoint()
    except SQLAlchemyError:  # the tables are being dropped and re-created right now
        return 0
    return checkpoint.block if checkpoint else 0


@app.command("rebuild")
def rebuild(ctx: typer.Context) -> None:
    """Drop every ledger-derived table and replay the whole ledger into fresh ones.

    Scans, serial lists and API tokens are not derived from the ledger and are kept."""
    state = cli_state(ctx)
    with open_runtime(ctx, catch_up=False) as rt, progress_bars(state.err) as progress:
        last_block = rt.ledger.height() - 1
        task = progress.add_task("replaying", total=last_block)
        outcome: list[int | BaseException] = []

        def replay() -> None:
            try:
                outcome.append(rt.indexer.rebuild())
            except BaseException as exc:  # handed to the main thread, which reports it
                outcome.append(exc)

        # The indexer has no progress hook: it runs in a thread and its checkpoint is polled.
        worker = threading.Thread(target=replay, name="index-rebuild", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
            progress.update(task, completed=_indexed_block(rt))
        progress.update(task, completed=last_block)
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    state.out.print(
        f"[green]ok[/]: read model rebuilt from {last_block} blocks, {result} events applied.",
        soft_wrap=True,
    )
