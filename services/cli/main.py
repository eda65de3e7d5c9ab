"""The `pharmatrace` console script: global options and the assembly of every command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.cli import batch_import, batches, index, ledger, orgs, products, users
from services.cli.audit import audit_command
from services.cli.bootstrap import init
from services.cli.context import CliState
from services.cli.custody import receive, ship
from services.cli.demo import demo
from services.cli.detect import detect_command
from services.cli.errors import PharmaTraceGroup
from services.cli.scan import scan_command
from services.cli.scanning import dispense_command, undo_command, verify_command
from services.cli.server import serve

app = typer.Typer(
    cls=PharmaTraceGroup,
    name="pharmatrace",
    help="PharmaTrace: pharmaceutical supply-chain traceability on a ledger.",
    epilog=(
        "Exit status: 0 done, 1 unexpected failure, 2 bad input or refused, "
        "3 retryable (ledger or database unavailable), 4 integrity check failed."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="PHARMATRACE_DATA_DIR",
            help="Where the ledger, read model and identities live (default: .pharmatrace/data).",
            show_default=False,
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="PHARMATRACE_DATABASE_URL",
            help="Read model database (SQLAlchemy URL) (default: SQLite in the data dir).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an unexpected error.")
    ] = False,
) -> None:
    ctx.obj = CliState(data_dir=data_dir, database_url=database_url, debug=debug)


app.command("init")(init)
app.command("serve")(serve)
app.command("demo")(demo)
app.command("detect")(detect_command)
app.add_typer(orgs.app, name="org")
app.add_typer(products.app, name="product")
batches.app.command("import")(batch_import.import_command)
app.add_typer(batches.app, name="batch")
app.command("ship")(ship)
app.command("receive")(receive)
app.command("verify")(verify_command)
app.command("dispense")(dispense_command)
app.command("undo")(undo_command)
app.command("scan")(scan_command)
app.add_typer(users.app, name="users")
app.command("audit")(audit_command)
app.add_typer(index.app, name="index")
app.add_typer(ledger.app, name="ledger")


def main() -> None:
    """Entry point of the `pharmatrace` console script."""
    app()
