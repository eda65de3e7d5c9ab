"""`pharmatrace index`: the read model is derived from the ledger and can be rebuilt from it.

`index follow` runs the indexer as a process of its own, so that it can be started, stopped and
killed apart from the API (which also follows the ledger in a thread) and from the CLI writers.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from services.cli.context import cli_state, open_runtime
from services.cli.progress import progress_bars
from services.runtime import Runtime

app = typer.Typer(
    help="The read model: rebuild it from the ledger, or follow it.", no_args_is_help=True
)


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


@app.command("follow")
def follow(
    ctx: typer.Context,
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.01, max=60.0, help="Seconds between polls of the ledger."),
    ] = 0.2,
) -> None:
    """Keep the read model current with the ledger until SIGINT or SIGTERM.

    Safe beside a running server and other indexers: each block's rows and the checkpoint are one
    SQL transaction, so a killed follower leaves nothing half-applied and resumes where it was."""
    state = cli_state(ctx)
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with open_runtime(ctx, catch_up=False) as rt:
            applied = rt.indexer.catch_up()
            state.err.print(
                f"Following the ledger from block {_indexed_block(rt)} "
                f"({applied} events caught up); Ctrl+C stops.",
                soft_wrap=True,
            )
            rt.indexer.follow(stop, interval)
            block = _indexed_block(rt)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    state.out.print(f"[green]ok[/]: stopped following at block {block}.", soft_wrap=True)
