"""`render_logistic_label`: the label of a case or pallet, identified by its SSCC.

After the GS1 logistic label: free text at the top (the shipper), then the SSCC and the
contents (GTIN, lot, quantity per line) in text, and at the bottom the GS1-128 barcode of
(00) SSCC with its human-readable interpretation underneath. Default size A6 portrait
(105 x 148 mm), the usual pallet label. GS1-128 on logistic labels: X-dimension at least
0.495 mm (here rounded up to whole printer dots), bars 31.75 mm high, 10 modules of quiet zone.
Contents that do not fit end in "… and N more lines"; the barcode is never shrunk below spec.
"""

from dataclasses import dataclass

from services.gs1 import GS1Error, PackIdentifier, is_valid_gtin, is_valid_sscc, normalize_gtin
from services.labels.errors import LabelDataError, LabelLayoutError
from services.labels.fonts import pillow_measure
from services.labels.gs1_128 import gs1_128_sscc
from services.labels.layout import (
    LINE_PITCH,
    LabelLayout,
    Measure,
    SymbolBox,
    TextLine,
    dots,
    fit_font_size,
    module_size,
    pt_to_dots,
    require,
    truncate,
)
from services.labels.modules import ModuleMatrix
from services.labels.raster import draw_label, png_bytes

__all__ = ["ContentLine", "plan_logistic_label", "render_logistic_label"]

MIN_X_MM = 0.495
BAR_HEIGHT_MM = 31.75
MARGIN_MM = 3.0
MAX_TEXT_PT = 14.0
MIN_TEXT_PT = 6.0


@dataclass(frozen=True, slots=True)
class ContentLine:
    """One line of a case's or pallet's contents: trade item, lot and how many."""

    gtin: str
    lot: str
    quantity: int


def _validated(contents: list[tuple[str, str, int]]) -> list[ContentLine]:
    lines = []
    for gtin, lot, quantity in contents:
        try:
            pack = PackIdentifier(
                gtin=normalize_gtin(gtin) if is_valid_gtin(gtin) else gtin, lot=lot
            )
        except GS1Error as exc:
            raise LabelDataError(f"Contents line ({gtin}, {lot}): {exc}") from exc
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            msg = f"Contents line ({gtin}, {lot}): the quantity must be a positive integer."
            raise LabelDataError(msg)
        lines.append(ContentLine(pack.gtin or gtin, pack.lot or lot, quantity))
    return lines


def render_logistic_label(
    sscc: str,
    *,
    contents: list[tuple[str, str, int]],
    shipper: str = "",
    size_mm: tuple[float, float] = (105.0, 148.0),
    dpi: int = 300,
) -> bytes:
    """A bilevel PNG logistic label for `sscc` listing `contents` as (GTIN, lot, quantity).

    Raises:
        LabelDataError: an invalid SSCC, GTIN, lot or quantity.
        LabelLayoutError: the label is too small for the barcode at 0.495 mm or for the text.
    """
    if not is_valid_sscc(sscc):
        msg = f"{sscc!r} is not an SSCC (18 digits with a valid check digit)."
        raise LabelDataError(msg)
    layout = plan_logistic_label(
        sscc,
        _validated(contents),
        shipper=shipper,
        size_mm=size_mm,
        dpi=dpi,
        measure=pillow_measure,
    )
    return png_bytes(draw_label(layout), dpi)


def plan_logistic_label(
    sscc: str,
    contents: list[ContentLine],
    *,
    shipper: str,
    size_mm: tuple[float, float],
    dpi: int,
    measure: Measure,
) -> LabelLayout:
    """Arrange the GS1-128 barcode at the bottom and the text above it."""
    require(min(size_mm) > 0, f"A label size must be positive, got {size_mm} mm.")
    width, height = dots(size_mm[0], dpi), dots(size_mm[1], dpi)
    margin = dots(MARGIN_MM, dpi)
    bars = gs1_128_sscc(sscc)
    module = _bar_module(bars, width, margin, dpi)
    inner = width - 2 * margin
    hri = f"(00) {sscc}"
    hri_size = fit_font_size([(hri, False)], inner, pt_to_dots(MAX_TEXT_PT, dpi), measure)
    bar_height = dots(BAR_HEIGHT_MM, dpi)
    hri_baseline = height - margin - round(hri_size * (LINE_PITCH - 0.8))
    bar_top = hri_baseline - round(hri_size * LINE_PITCH) - bar_height
    symbol = SymbolBox((width - bars.width * module) // 2, bar_top, module, bars, bar_height)
    hri_x = (width - round(measure(hri, hri_size, False))) // 2
    text = _text_lines(
        sscc, contents, shipper, (margin, margin), (inner, bar_top - margin), dpi, measure
    )
    lines = (*text, TextLine(hri_x, hri_baseline, hri_size, hri))
    return LabelLayout(width, height, dpi, (symbol,), lines)


def _bar_module(bars: ModuleMatrix, width: int, margin: int, dpi: int) -> int:
    module, _ = module_size(MIN_X_MM, MIN_X_MM, dpi)  # GS1 minimum, rounded up to dots
    quiet = bars.quiet_zone * module
    if bars.width * module + 2 * max(margin, quiet) > width:
        need = (bars.width + 2 * bars.quiet_zone) * module * 25.4 / dpi
        msg = f"The GS1-128 barcode of an SSCC needs a label at least {need:.0f} mm wide."
        raise LabelLayoutError(msg)
    return module


def _text_lines(
    sscc: str,
    contents: list[ContentLine],
    shipper: str,
    origin: tuple[int, int],
    box: tuple[int, int],
    dpi: int,
    measure: Measure,
) -> list[TextLine]:
    """Shipper, SSCC and contents, top down; contents cut with "… and N more" if too many."""
    box_width, box_height = box
    rows = [f"{line.gtin} {line.lot:<20} {line.quantity:>7}" for line in contents]
    header = f"{'GTIN':<14} {'LOT':<20} {'QTY':>7}"
    size = fit_font_size(
        [(header, False), *((row, False) for row in rows)],
        box_width,
        pt_to_dots(MAX_TEXT_PT, dpi),
        measure,
    )
    require(
        size >= pt_to_dots(MIN_TEXT_PT, dpi),
        f"The contents do not fit the label width at {MIN_TEXT_PT} pt.",
    )
    pitch = round(size * LINE_PITCH)
    big = round(size * 1.6)
    stacked: list[tuple[str, int, bool]] = []
    if shipper.strip():
        stacked.append(
            (truncate(" ".join(shipper.split()), box_width, big, True, measure), big, True)
        )
    stacked += [
        ("SSCC", size, False),
        (sscc, big, True),
        ("CONTENT", size, False),
        (header, size, True),
    ]
    used = sum(round(s * LINE_PITCH) for _, s, _ in stacked)
    room = (box_height - used) // pitch
    require(room >= 1, "The label is too short for the SSCC, its contents and the barcode.")
    if len(rows) > room:
        rows = [*rows[: room - 1], f"… and {len(rows) - room + 1} more lines"]
    stacked += [(row, size, False) for row in rows]
    lines = []
    baseline = origin[1]
    for text, text_size, bold in stacked:
        step = round(text_size * LINE_PITCH)
        lines.append(TextLine(origin[0], baseline + round(step * 0.8), text_size, text, bold))
        baseline += step
    return lines
