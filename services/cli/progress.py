"""Rich progress bars for long work, drawn on stderr so stdout stays clean for scripts."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


def progress_bars(console: Console) -> Progress:
    """A progress display: spinner, description, bar, done/total, elapsed time.

    Shown only on a terminal: piped into a file or a script, the bars would be noise."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )


class StepProgress:
    """Adapts a `(step, done, total)` callback to one bar per step."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        if step not in self.tasks:
            self.tasks[step] = self.progress.add_task(step, total=total)
        self.progress.update(self.tasks[step], completed=done, total=total)
