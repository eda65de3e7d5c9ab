"""`ModuleMatrix`: a barcode as dark and light modules, what encoders and renderers exchange.

Every encoder (Zint for GS1 DataMatrix, GS1-128 and QR) hands back this, and every
renderer (Pillow for PNG labels, the PDF writer for sheets) takes it, so neither side knows the
other's library. The modules are kept packed one bit each, rows byte-aligned, most significant bit
first, 0 for dark and 1 for light: that is both Pillow's mode "1" raw layout and the sample layout
of a PDF image mask, so a symbol goes to either output without a per-module Python loop.

The quiet zone (the light margin a symbology requires around it, in modules) is carried as a
number rather than drawn in: a layout may let two symbols' quiet zones overlap, or let a quiet
zone run into the label's blank margin.
"""

from dataclasses import dataclass

from PIL import Image

__all__ = ["ModuleMatrix"]


@dataclass(frozen=True, slots=True)
class ModuleMatrix:
    """The modules of one symbol, without its quiet zone.

    Attributes:
        width: modules per row.
        height: rows (1 for a linear barcode: its bars are one row stretched to a bar height).
        bits: `height` rows of ceil(width / 8) bytes, MSB first, 0 = dark, 1 = light.
        quiet_zone: light modules the symbology requires on each side (DataMatrix 1, QR 4,
            GS1-128 10).
    """

    width: int
    height: int
    bits: bytes
    quiet_zone: int

    def __post_init__(self) -> None:
        expected = (self.width + 7) // 8 * self.height
        if self.width < 1 or self.height < 1 or len(self.bits) != expected:
            msg = f"{self.width}x{self.height} modules need {expected} bytes, got {len(self.bits)}."
            raise ValueError(msg)

    @classmethod
    def from_image(cls, image: Image.Image, quiet_zone: int) -> "ModuleMatrix":
        """From a mode "1" image with one pixel per module (black = dark)."""
        width, height = image.size
        return cls(width, height, image.convert("1").tobytes(), quiet_zone)

    def image(self, module: int = 1, bar_height: int | None = None) -> Image.Image:
        """A mode "1" image, `module` pixels per module, quiet zone not included.

        `bar_height` (in pixels) stretches a linear barcode's single row to its bar height.
        """
        base = Image.frombytes("1", (self.width, self.height), self.bits)
        height = bar_height if bar_height is not None else self.height * module
        if module == 1 and height == self.height:
            return base
        return base.resize((self.width * module, height), Image.Resampling.NEAREST)

    def is_dark(self, x: int, y: int) -> bool:
        """True if the module in column `x`, row `y` is dark (for tests and debugging)."""
        row = (self.width + 7) // 8
        return not self.bits[y * row + x // 8] >> (7 - x % 8) & 1
