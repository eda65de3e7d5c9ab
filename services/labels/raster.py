"""Draw a `LabelLayout` as a bilevel PNG with Pillow.

Bilevel (mode "1", one bit a pixel) because label printers, thermal and thermal-transfer, print
dots on or off: grey anti-aliasing would be thresholded by the driver anyway and could grow or
shrink modules; drawn in bilevel at the printer's resolution a module is exactly its dots. The
PNG records the resolution (pHYs), so it prints at its physical size.

Rendered text lines are cached: the labels of a batch share their product name, GTIN, expiry
and lot, so only the serial line is new on each label. zlib level 1 because bilevel labels
compress almost as well at it (about 3.3 KB against 2.6 KB) at a fraction of the time.
"""

import functools
import io

from PIL import Image, ImageDraw

from services.labels.fonts import font
from services.labels.layout import LabelLayout

__all__ = ["draw_label", "png_bytes"]

_PNG_COMPRESS_LEVEL = 1


def draw_label(layout: LabelLayout) -> Image.Image:
    """The label as a mode "1" image, white background."""
    image = Image.new("1", (layout.width, layout.height), 1)
    for box in layout.symbols:
        image.paste(box.matrix.image(box.module, box.bar_height), (box.x, box.y))
    for line in layout.lines:
        mask, (left, top) = _text_mask(line.text, line.size, line.bold)
        image.paste(0, (line.x + left, line.baseline + top), mask)
    return image


@functools.lru_cache(maxsize=512)
def _text_mask(text: str, size: int, bold: bool) -> tuple[Image.Image, tuple[int, int]]:
    """`text` as a mode "1" mask (1 = ink) and its offset from the left end of the baseline."""
    face = font(size, bold)
    left, top, right, bottom = (int(v) for v in face.getbbox(text, anchor="ls"))
    mask = Image.new("1", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=1, font=face, anchor="ls")
    return mask, (left, top)


def png_bytes(image: Image.Image, dpi: int) -> bytes:
    """PNG encoding of `image`, tagged with its resolution."""
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), compress_level=_PNG_COMPRESS_LEVEL)
    return out.getvalue()
