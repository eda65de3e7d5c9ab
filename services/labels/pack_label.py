"""`render_pack_label`: one pack label as a PNG, for a label printer or a preview.

GS1 DataMatrix (the regulated carrier) and GS1 Digital Link QR side by side, the human-readable
product name, GTIN, expiry, lot and serial beside them; see `pack_layout` for the geometry.
"""

from services.gs1 import PackIdentifier
from services.labels.fonts import pillow_measure
from services.labels.pack_layout import PackLabelSpec, plan_pack_label
from services.labels.raster import draw_label, png_bytes

__all__ = ["render_pack_label"]


def render_pack_label(
    pack: PackIdentifier,
    *,
    product_name: str,
    domain: str = "id.gs1.org",
    size_mm: tuple[float, float] = (50.0, 25.0),
    dpi: int = 300,
) -> bytes:
    """A bilevel PNG of `size_mm` at `dpi` (50 x 25 mm at 300 dpi is 591 x 295 pixels).

    Args:
        pack: the pack's GTIN, expiry, lot and serial (all four are required).
        product_name: printed in bold above the data lines ("" for none).
        domain: resolver domain of the Digital Link in the QR code.
        size_mm: label width and height in millimetres.
        dpi: the printer's resolution; modules are whole dots at it.

    Raises:
        LabelDataError: a field is missing, or an encoder refused it.
        LabelLayoutError: the label is too small for the symbols at GS1's minimum module size
            or for the text at 4 pt.
    """
    spec = PackLabelSpec(size_mm=size_mm, dpi=dpi, domain=domain)
    layout = plan_pack_label(pack, product_name=product_name, spec=spec, measure=pillow_measure)
    return png_bytes(draw_label(layout), dpi)
