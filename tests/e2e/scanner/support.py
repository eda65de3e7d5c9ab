"""Helpers of the scanner app's browser tests: fake-camera videos, signing in, scanning."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from services.gs1 import PackIdentifier
from services.labels import ModuleMatrix, digital_link_qr, gs1_datamatrix
from tests.e2e.support import ARTIFACTS

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

FRAME = (640, 480)
SCANNER_ARTIFACTS = ARTIFACTS / "scanner"


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/e2e/scanner/NAME.png."""
    SCANNER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = SCANNER_ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def symbol_frame(matrix: ModuleMatrix, module: int) -> Image.Image:
    """A white 640x480 frame with the symbol centred, `module` pixels a module, quiet zone kept."""
    symbol = matrix.image(module=module).convert("L")
    frame = Image.new("L", FRAME, 255)
    frame.paste(symbol, ((FRAME[0] - symbol.width) // 2, (FRAME[1] - symbol.height) // 2))
    return frame


def datamatrix_frame(pack: PackIdentifier) -> Image.Image:
    return symbol_frame(gs1_datamatrix(pack), module=10)


def qr_frame(pack: PackIdentifier) -> Image.Image:
    return symbol_frame(digital_link_qr(pack), module=6)


def write_y4m(path: Path, frame: Image.Image, frames: int = 5) -> Path:
    """A YUV4MPEG2 (C420) video of `frames` copies of a grey frame: Chromium's fake camera."""
    gray = frame.convert("L")
    width, height = gray.size
    luma = gray.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(luma)
            out.write(chroma)
            out.write(chroma)
    return path


def scanner_sign_in(page: Page, token: str) -> None:
    """Open /scanner/ and sign in with the API token, as a pharmacist would."""
    from playwright.sync_api import expect

    page.goto("/scanner/")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Scan or type a code")).to_be_focused()


def wedge_scan(page: Page, text: str) -> Locator:
    """Type `text` into the focused scan field as a keyboard-wedge scanner does, then Enter.

    Returns the verdict section once the verdict of this scan is shown.
    """
    from playwright.sync_api import expect

    verdict = page.locator("#verdict")
    before = verdict.get_attribute("data-seq") or "0"
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(verdict).not_to_have_attribute("data-seq", before)
    return verdict
