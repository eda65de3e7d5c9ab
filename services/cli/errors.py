"""How the CLI fails: one red line on stderr and an exit status a script can act on.

    0  done
    1  unexpected failure (a bug or the environment): one line, the traceback with --debug
    2  bad input or refused by the contract (PharmaTraceError, configuration, identities)
    3  retryable: the ledger or the database is unavailable, or a concurrent change won
    4  an integrity check failed (`ledger verify` found a broken chain)

Click's own usage errors also exit with 2. The handling sits in the root command group, so every
sub-command, and typer's test runner, goes through it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from services.config import ConfigError
from services.errors import PharmaTraceError
from services.gs1 import GS1Error
from services.identity import IdentityError

EXIT_UNEXPECTED = 1
EXIT_REFUSED = 2
EXIT_RETRYABLE = 3
EXIT_INTEGRITY = 4


def exit_status(error: PharmaTraceError) -> int:
    return EXIT_RETRYABLE if error.retryable else EXIT_REFUSED


def first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def print_error(console: Console, code: str, message: str) -> None:
    """`error CODE: message`, in red, on one line whatever the terminal width."""
    console.print(
        f"[bold red]error {escape(code)}:[/] [red]{escape(first_line(message))}[/]",
        soft_wrap=True,
        highlight=False,
    )


def _known(error: Exception) -> tuple[str, str, int] | None:
    """(code, message, exit status) of an error a user can act on, None for a surprise."""
    if isinstance(error, PharmaTraceError):
        return error.code, error.message, exit_status(error)
    if isinstance(error, ConfigError):
        return "CONFIGURATION", str(error), EXIT_REFUSED
    if isinstance(error, IdentityError):
        return "IDENTITY", str(error), EXIT_REFUSED
    if isinstance(error, GS1Error):
        return "INVALID_CODE", str(error), EXIT_REFUSED
    if isinstance(error, OperationalError | sqlite3.OperationalError):
        reason = first_line(str(error))
        return "STORAGE_UNAVAILABLE", f"The database cannot be used now ({reason}).", EXIT_RETRYABLE
    return None


class PharmaTraceGroup(TyperGroup):
    """The root group: turns exceptions from any command into a message and an exit status."""

    # `Any`: the base class types this as the vendored click Context, which typer does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # click's own control flow and usage errors
        except Exception as error:
            debug = bool(getattr(ctx.obj, "debug", False))
            err = Console(stderr=True)
            known = _known(error)
            if known is not None:
                code, message, status = known
                print_error(err, code, message)
                raise typer.Exit(status) from error
            if debug:
                raise
            summary = f"{type(error).__name__}: {first_line(str(error))} (rerun with --debug)"
            print_error(err, "UNEXPECTED", summary)
            raise typer.Exit(EXIT_UNEXPECTED) from error
