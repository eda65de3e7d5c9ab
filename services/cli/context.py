"""What every command shares: global options, the Runtime, the acting organization, consoles.

The embedded set-up keeps every organization's identity in one MSP folder, so one process can act
for any of them: write and scan commands take `--as MSP_ID`, and the actor's role and premises
(GLN) come from the registered organization unless `--location` says otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from services.config import Settings
from services.domain.organizations import get_organization, list_organizations
from services.errors import invalid, not_found
from services.gs1 import is_valid_gln, is_valid_gtin, normalize_gtin
from services.runtime import Actor, Runtime


@dataclass
class CliState:
    """The root command's options, kept on the click context for the sub-commands."""

    data_dir: Path | None = None
    database_url: str | None = None
    debug: bool = False
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def settings(self) -> Settings:
        return Settings.from_env(data_dir=self.data_dir, database_url=self.database_url)


def cli_state(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):  # a command invoked without the root callback
        state = CliState()
        ctx.find_root().obj = state
    return state


@contextmanager
def open_runtime(ctx: typer.Context, *, catch_up: bool = True) -> Iterator[Runtime]:
    """The Runtime on the configured data, its read model brought up to the ledger's height."""
    rt = Runtime(cli_state(ctx).settings())
    try:
        if catch_up:
            rt.indexer.catch_up()  # blocks another process (a running server) may have written
        yield rt
    finally:
        rt.close()


# -- the acting organization ------------------------------------------------------------------

AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        envvar="PHARMATRACE_AS",
        help="Act as this organization (its MSP ID).",
        show_default=False,
    ),
]
UserOption = Annotated[
    str, typer.Option("--user", help="Name of the person acting, recorded with scans.")
]
LocationOption = Annotated[
    str,
    typer.Option(
        "--location", help="Premises GLN; defaults to the organization's GLN.", show_default=False
    ),
]


def acting(rt: Runtime, msp_id: str, *, user: str = "cli", location: str = "") -> Actor:
    """The actor for `--as MSP_ID`: a registered organization, at its premises by default."""
    org = get_organization(rt, msp_id)
    if org is None:
        raise not_found(
            "UNKNOWN_ORGANIZATION",
            f"{msp_id} is not registered on this network (see `pharmatrace org list`).",
        )
    if location and not is_valid_gln(location):
        raise invalid("INVALID_GLN", f"{location!r} is not a GLN with a valid check digit.")
    return Actor(msp_id=org.msp_id, role=org.role, user=user, location=location or org.gln)


def the_regulator(rt: Runtime) -> str:
    """The MSP ID of the network's regulator, when `--as` is left out of a regulator's act."""
    regulators = list_organizations(rt, role="regulator")
    if len(regulators) != 1:
        raise invalid(
            "ACTOR_REQUIRED",
            "Say which regulator acts with --as"
            if regulators
            else "The network has no regulator yet: run `pharmatrace init` first.",
        )
    return regulators[0].msp_id


# -- input helpers ----------------------------------------------------------------------------

_GS_SPELLINGS = ("\\x1d", "\\x1D", "\\u001d", "\\u001D")


def read_code(code: str) -> str:
    """A scanned code from the command line: `-` reads a line from stdin (a scanner wedge), and
    the group separator may be typed as `\\x1d` or `\\u001d` (a backslash is never part of a
    GS1 field, so the spelling is unambiguous)."""
    if code == "-":
        code = sys.stdin.readline().rstrip("\r\n")
    for spelling in _GS_SPELLINGS:
        code = code.replace(spelling, "\x1d")
    return code


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(
            "INVALID_DATE", f"{option} must be a date as YYYY-MM-DD, not {value!r}."
        ) from None


def require_gln(value: str, option: str) -> str:
    if not is_valid_gln(value):
        raise invalid("INVALID_GLN", f"{option} {value!r} is not a GLN with a valid check digit.")
    return value


def require_gtin(value: str) -> str:
    """The GTIN as 14 digits, or INVALID_GTIN."""
    if not is_valid_gtin(value):
        raise invalid("INVALID_GTIN", f"{value!r} is not a GTIN with a valid check digit.")
    return normalize_gtin(value)


def batch_line(value: str, option: str) -> tuple[str, str, int]:
    """`GTIN:LOT:QUANTITY` (a lot may itself contain ':', so split on the first and the last)."""
    gtin, _, rest = value.partition(":")
    lot, _, quantity = rest.rpartition(":")
    if not (gtin and lot and quantity.isdigit()):
        raise invalid("INVALID_LINE", f"{option} takes GTIN:LOT:QUANTITY, not {value!r}.")
    return require_gtin(gtin), lot, int(quantity)
