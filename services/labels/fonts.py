"""Fonts for PNG labels: DejaVu Sans Mono from Debian's `fonts-dejavu-core`, else Pillow's own.

A monospaced face because the human-readable data (GTIN, lot, serial) must be read character by
character, O against 0 and I against 1, and because its advance width (0.602 em) matches the PDF
base-14 Courier (0.6 em) that sheets use, so a label lays out the same in both outputs. Pillow
finds the file by name in /usr/share/fonts. Without the package, Pillow's bundled default font
(proportional, scalable with FreeType) is used: labels still render, measured with that font.
"""

import functools

from PIL import ImageFont

__all__ = ["FONT_FILES", "font", "pillow_measure"]

FONT_FILES = {False: "DejaVuSansMono.ttf", True: "DejaVuSansMono-Bold.ttf"}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.lru_cache(maxsize=128)
def font(size: int, bold: bool = False) -> Font:
    """The label font at `size` pixels (the em), bold or regular; cached."""
    try:
        return ImageFont.truetype(FONT_FILES[bold], size)
    except OSError:
        return ImageFont.load_default(size)


def pillow_measure(text: str, size: int, bold: bool) -> float:
    """Advance width in pixels of `text` in the label font (a `layout.Measure`)."""
    return font(size, bold).getlength(text)
