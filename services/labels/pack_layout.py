"""Layout of a pack label: GS1 DataMatrix, Digital Link QR, then the human-readable text.

    ┌───────────────────────────────────────────────┐
    │ ▚▞▚▞  ▛▀▀▜▄▀▛▀▀▜   Paracetamol 500 mg tablets  │
    │ ▞▚▞▚  ▙▄▄▟▀▄▙▄▄▟   GTIN 09506000134352         │
    │ DataMatrix  QR     EXP  2027-01-05             │
    │                    LOT  LOT001                 │
    │                    SN   SN0001X                │
    └───────────────────────────────────────────────┘

Sizes (GS1 General Specifications, healthcare): the target X-dimension (module size) is 0.34 mm
(4 dots at 300 dpi), and a symbol may shrink down to the GS1 minimum of 0.254 mm to fit a small
label, never below; the label is refused rather than printed with an unreadable symbol. Quiet
zones: 1 module around the DataMatrix, 4 around the QR code; between two symbols the larger of
the two is kept (quiet zones may overlap, not symbols). A 1 mm margin keeps print off the label
edge. The text gets the remaining width, in the largest size up to 8 pt that fits its longest
line (4 pt at the least); the product name is bold, wrapped to two lines if there is room and
cut with "…" if it is still too long.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from services.gs1 import PackIdentifier
from services.labels.datamatrix import gs1_datamatrix
from services.labels.errors import LabelLayoutError
from services.labels.human_readable import pack_lines
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
    wrap,
)
from services.labels.modules import ModuleMatrix
from services.labels.qr import digital_link_qr

__all__ = ["PackLabelSpec", "arrange_pack_label", "plan_pack_label"]

TARGET_X_MM = 0.34
MIN_X_MM = 0.254
MARGIN_MM = 1.0
TEXT_GAP_MM = 1.0
MAX_TEXT_PT = 8.0
MIN_TEXT_PT = 4.0


@dataclass(frozen=True, slots=True)
class PackLabelSpec:
    """What a pack label looks like, apart from its data: size in mm, printer resolution, domain."""

    size_mm: tuple[float, float] = (50.0, 25.0)
    dpi: int = 300
    domain: str = "id.gs1.org"

    def __post_init__(self) -> None:
        require(
            self.size_mm[0] > 0 and self.size_mm[1] > 0,
            f"A label size must be positive, got {self.size_mm} mm.",
        )
        require(72 <= self.dpi <= 2400, f"dpi must be between 72 and 2400, got {self.dpi}.")


def plan_pack_label(
    pack: PackIdentifier, *, product_name: str, spec: PackLabelSpec, measure: Measure
) -> LabelLayout:
    """Encode the pack's two symbols and arrange them with its text.

    Raises:
        LabelDataError: if the pack lacks a field or an encoder refuses it.
        LabelLayoutError: if it does not fit `spec.size_mm`.
    """
    lines = pack_lines(pack)  # first: refuse an incomplete pack before encoding anything
    return arrange_pack_label(
        gs1_datamatrix(pack),
        digital_link_qr(pack, domain=spec.domain),
        product_name=product_name,
        lines=lines,
        spec=spec,
        measure=measure,
    )


def _largest_module(matrix: ModuleMatrix, name: str, height: int, margin: int, dpi: int) -> int:
    """The largest module size (target down to the GS1 minimum) at which `matrix` fits."""
    target, minimum = module_size(TARGET_X_MM, MIN_X_MM, dpi)
    for module in range(target, minimum - 1, -1):
        if matrix.height * module + 2 * max(margin, matrix.quiet_zone * module) <= height:
            return module
    need = (matrix.height + 2 * matrix.quiet_zone) * MIN_X_MM
    msg = f"The {name} needs a label at least {need:.1f} mm high at {MIN_X_MM} mm modules."
    raise LabelLayoutError(msg)


def _module_choices(datamatrix: int, qr: int, minimum: int) -> Iterator[tuple[int, int]]:
    """(DataMatrix, QR) module sizes from the largest down, the QR code shrinking first.

    Long lots and serials need room for their text; the QR code gives it up first because the
    DataMatrix is the regulated carrier and phone cameras read small QR modules well.
    """
    for qr_module in range(qr, minimum - 1, -1):
        yield datamatrix, qr_module
    for dm_module in range(datamatrix - 1, minimum - 1, -1):
        yield dm_module, minimum


def arrange_pack_label(
    datamatrix: ModuleMatrix,
    qr: ModuleMatrix,
    *,
    product_name: str,
    lines: list[str],
    spec: PackLabelSpec,
    measure: Measure,
) -> LabelLayout:
    """Place already encoded symbols and text lines on a label of `spec.size_mm`."""
    dpi = spec.dpi
    width, height = dots(spec.size_mm[0], dpi), dots(spec.size_mm[1], dpi)
    margin = dots(MARGIN_MM, dpi)
    largest = (
        _largest_module(datamatrix, "GS1 DataMatrix", height, margin, dpi),
        _largest_module(qr, "QR code", height, margin, dpi),
    )
    _, minimum = module_size(TARGET_X_MM, MIN_X_MM, dpi)
    for dm_module, qr_module in _module_choices(*largest, minimum):
        dm_quiet, qr_quiet = datamatrix.quiet_zone * dm_module, qr.quiet_zone * qr_module
        dm_x = max(margin, dm_quiet)
        qr_x = dm_x + datamatrix.width * dm_module + max(dm_quiet, qr_quiet)
        text_x = qr_x + qr.width * qr_module + max(qr_quiet, dots(TEXT_GAP_MM, dpi))
        box = (width - margin - text_x, height - 2 * margin)
        text = _text_lines(product_name, lines, (text_x, margin), box, dpi, measure)
        if text is not None:
            symbols = (
                SymbolBox(
                    dm_x, (height - datamatrix.height * dm_module) // 2, dm_module, datamatrix
                ),
                SymbolBox(qr_x, (height - qr.height * qr_module) // 2, qr_module, qr),
            )
            return LabelLayout(width, height, dpi, symbols, text)
    msg = (
        f"The text does not fit beside the symbols at {MIN_TEXT_PT} pt on a "
        f"{spec.size_mm[0]} x {spec.size_mm[1]} mm label: the label needs more width."
    )
    raise LabelLayoutError(msg)


def _text_lines(
    title: str,
    lines: list[str],
    origin: tuple[int, int],
    box: tuple[int, int],
    dpi: int,
    measure: Measure,
) -> tuple[TextLine, ...] | None:
    """Size, wrap and stack the title (bold) and the data lines in the box, centred vertically.

    None if the data lines do not fit at the smallest text size.
    """
    box_width, box_height = box
    title = " ".join(title.split())
    count = len(lines) + (1 if title else 0)
    largest = min(pt_to_dots(MAX_TEXT_PT, dpi), int(box_height / (count * LINE_PITCH)))
    size = fit_font_size([(line, False) for line in lines], box_width, largest, measure)
    if box_width <= 0 or size < pt_to_dots(MIN_TEXT_PT, dpi):
        return None
    room_for_two = (count + 1) * size * LINE_PITCH <= box_height
    titles = wrap(title, box_width, size, True, measure, 2 if room_for_two else 1) if title else []
    stacked = [(t, True) for t in titles] + [(line, False) for line in lines]
    pitch = round(size * LINE_PITCH)
    top = origin[1] + (box_height - pitch * len(stacked)) // 2
    ascent = round(pitch * 0.8)
    return tuple(
        TextLine(origin[0], top + index * pitch + ascent, size, text, bold)
        for index, (text, bold) in enumerate(stacked)
    )
