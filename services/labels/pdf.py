"""A minimal streaming PDF 1.4 writer for label sheets: pages go to the output as they are made.

Why not reportlab or fpdf2: both keep every page of a document in memory until it is saved, and a
sheet run for a batch of a million packs must not. img2pdf embeds one raster image per page,
which for labels means tens of megabytes of pixels where a few hundred bytes of vector data do.
What a label sheet needs from PDF is small and stable, so it is written here:

  * one content stream per page (Flate-compressed), written as soon as the page is complete;
  * symbols as inline image masks: one bit a module, scaled by the transformation matrix, so a
    22 x 22 DataMatrix costs 66 bytes and stays sharp at any printer resolution (image masks are
    never interpolated unless asked to be); ASCIIHex-encoded so no reader can mistake binary
    data for the end of the image;
  * text in the base-14 fonts Courier and Courier-Bold (no embedding; every PDF reader has
    them), WinAnsiEncoding: characters outside Windows-1252 print as "?".

Memory: one page's content plus one integer per object (for the cross-reference table) and one
per page (for the page tree). The output only needs `write`: offsets are counted, not asked for.
"""

import zlib
from typing import BinaryIO

__all__ = ["COURIER_ADVANCE", "PdfWriter", "courier_measure", "number", "pdf_text"]

COURIER_ADVANCE = 0.6
"""Advance width of every Courier glyph, in em."""

_CATALOG, _PAGES, _FONT, _FONT_BOLD, _RESOURCES = 1, 2, 3, 4, 5


def courier_measure(text: str, size: int, bold: bool) -> float:
    """Width of `text` at `size` in Courier (a `layout.Measure`; bold has the same widths)."""
    return COURIER_ADVANCE * size * len(text)


def pdf_text(text: str) -> bytes:
    """A PDF literal string "(...)" of `text` in WinAnsiEncoding (Windows-1252)."""
    raw = text.encode("cp1252", errors="replace")
    escaped = bytearray(b"(")
    for byte in raw:
        if byte in b"()\\":
            escaped += b"\\" + bytes([byte])
        elif byte < 32 or byte == 127:
            escaped += b"\\%03o" % byte
        else:
            escaped.append(byte)
    escaped += b")"
    return bytes(escaped)


class PdfWriter:
    """Writes pages to `out` one by one; `close()` writes the page tree, catalog and xref.

    Usage::

        writer = PdfWriter(out)
        writer.add_page(595.28, 841.89, b"BT /F1 12 Tf 72 720 Td (Hello) Tj ET")
        writer.close()

    Content streams may use /F1 (Courier) and /F2 (Courier-Bold).
    """

    def __init__(self, out: BinaryIO, *, title: str = "") -> None:
        self._out = out
        self._written = 0
        self._offsets: dict[int, int] = {}
        self._next_id = _RESOURCES + 1
        self._pages: list[int] = []
        self._title = title
        self._closed = False
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # binary marker: transfer as binary
        for obj, name in ((_FONT, b"Courier"), (_FONT_BOLD, b"Courier-Bold")):
            self._object(
                obj,
                b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
                % name,
            )
        self._object(
            _RESOURCES,
            b"<< /Font << /F1 3 0 R /F2 4 0 R >> /ProcSet [/PDF /Text /ImageB] >>",
        )

    @property
    def page_count(self) -> int:
        return len(self._pages)

    def add_page(self, width_pt: float, height_pt: float, content: bytes) -> None:
        """Write one page of `width_pt` x `height_pt` points with `content` (operators)."""
        if self._closed:
            msg = "The PDF is closed."
            raise ValueError(msg)
        stream = zlib.compress(content, 6)
        content_id = self._new_id()
        self._object(
            content_id,
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream",
        )
        page_id = self._new_id()
        self._object(
            page_id,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources 5 0 R "
            b"/Contents %d 0 R >>" % (number(width_pt), number(height_pt), content_id),
        )
        self._pages.append(page_id)

    def close(self) -> None:
        """Write the page tree, catalog, document information and cross-reference table."""
        if self._closed:
            return
        self._closed = True
        kids = b" ".join(b"%d 0 R" % page for page in self._pages)
        self._object(_PAGES, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._pages)))
        self._object(_CATALOG, b"<< /Type /Catalog /Pages 2 0 R >>")
        info = self._new_id()
        self._object(
            info, b"<< /Producer (PharmaTrace) /Title %s >>" % pdf_text(self._title or "Labels")
        )
        xref = self._written
        size = self._next_id
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        lines += [b"%010d 00000 n \n" % self._offsets[obj] for obj in range(1, size)]
        self._write(b"".join(lines))
        self._write(
            b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, info, xref)
        )

    def _new_id(self) -> int:
        obj = self._next_id
        self._next_id += 1
        return obj

    def _object(self, obj: int, body: bytes) -> None:
        self._offsets[obj] = self._written
        self._write(b"%d 0 obj\n%s\nendobj\n" % (obj, body))

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._written += len(data)


def number(value: float) -> bytes:
    """A PDF number: at most 3 decimals, no exponent, no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()
