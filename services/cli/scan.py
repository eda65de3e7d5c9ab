"""`pharmatrace scan IMAGE... --as MSP`: decode photos of pack labels and verify each pack.

Each image is decoded with zxing-cpp (GS1 DataMatrix and QR). A label carries both a DataMatrix
and a Digital Link QR of the same pack: the DataMatrix is verified (it is the EU FMD carrier), the
QR only when no DataMatrix could be read. A DataMatrix is read as ]d2 + its element string, as a
scanner sends it, and goes through the same `verify` as every other scan (recorded in the scan
log). An image that cannot be opened or holds no readable code gets an amber UNREADABLE_IMAGE
panel and never stops the others; the exit status is then 2 (bad input), else 0 whatever the
lights.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer
import zxingcpp
from PIL import Image, UnidentifiedImageError
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from services.cli.context import (
    AsOption,
    LocationOption,
    UserOption,
    acting,
    cli_state,
    open_runtime,
)
from services.cli.scanning import LIGHT_STYLES, verdict_panel
from services.domain.verification import verify

UNREADABLE_EXIT = 2
_FORMATS = zxingcpp.BarcodeFormats(
    [zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.QRCode]
)


@dataclass(frozen=True)
class Decoded:
    """The code an image gave, or why it gave none."""

    code: str | None
    symbol: str = ""
    problem: str = ""


def decode_image(path: Path) -> Decoded:
    """The pack code in the photo at `path`: its DataMatrix if any, else its QR code."""
    try:
        with Image.open(path) as opened:
            image = opened.convert("L")
    except (OSError, UnidentifiedImageError, ValueError) as error:
        reason = "the file does not exist" if not path.exists() else "it is not a readable image"
        return Decoded(None, problem=f"{path.name} cannot be opened: {reason} ({error}).")
    found = [
        b
        for b in zxingcpp.read_barcodes(image, formats=_FORMATS, text_mode=zxingcpp.TextMode.Plain)
        if b.valid
    ]
    if not found:
        return Decoded(
            None,
            problem=f"No DataMatrix or QR code could be read in {path.name}: take the photo "
            "again, closer, sharp and evenly lit, or type the code printed on the pack.",
        )
    matrices = [b for b in found if b.format == zxingcpp.BarcodeFormat.DataMatrix]
    best = (matrices or found)[0]
    symbology = best.symbology_identifier
    code = symbology + best.text if symbology in ("]d2", "]Q3") else best.text
    return Decoded(code, symbol="DataMatrix" if matrices else "QR code")


def unreadable_panel(path: Path, problem: str) -> Panel:
    style = LIGHT_STYLES["amber"]
    return Panel(
        Text(f"• {problem}", style=style),
        title=Text("AMBER · UNREADABLE_IMAGE · nothing was verified", style=style),
        subtitle=escape(str(path)),
        border_style=style,
        expand=False,
    )


def scan_command(
    ctx: typer.Context,
    images: Annotated[
        list[Path],
        typer.Argument(help="Photos or scans of pack labels (PNG, JPEG, …).", show_default=False),
    ],
    as_msp: AsOption,
    user: UserOption = "cli",
    location: LocationOption = "",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per image.")
    ] = False,
) -> None:
    """Decode photos of pack labels (DataMatrix or QR) and verify each pack, as `verify` does.

    Exit status 0 when every image was read (whatever the lights), 2 when one was unreadable."""
    state = cli_state(ctx)
    unreadable = 0
    with open_runtime(ctx) as rt:
        actor = acting(rt, as_msp, user=user, location=location)
        for path in images:
            decoded = decode_image(path)
            if decoded.code is None:
                unreadable += 1
                if as_json:
                    typer.echo(
                        json.dumps(
                            {
                                "image": str(path),
                                "result": "UNREADABLE_IMAGE",
                                "light": "amber",
                                "reasons": [decoded.problem],
                            },
                            ensure_ascii=False,
                        )
                    )
                else:
                    state.out.print(unreadable_panel(path, decoded.problem))
                continue
            verdict = verify(rt, actor=actor, code=decoded.code)
            if as_json:
                body = {"image": str(path), "symbol": decoded.symbol, **asdict(verdict)}
                typer.echo(json.dumps(body, ensure_ascii=False))
            else:
                state.out.print(f"{escape(str(path))}: read its {decoded.symbol}", soft_wrap=True)
                state.out.print(verdict_panel(verdict))
    if unreadable:
        raise typer.Exit(UNREADABLE_EXIT)
