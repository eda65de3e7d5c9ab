"""The provenance report as a PDF (reportlab): summary, custody graph, shipments, alerts, timeline.

Landscape A4 so a timeline row (time, step, what happened, who and where, scan result, block and
transaction id) fits on one line of columns. Every entry of the report is printed: nothing is
sampled or cut, so a 10,000-event batch gives a few hundred pages. The long tables use
`services.reports.pdf_table.LongTable`, which splits in linear time.

Fonts are the PDF standard Helvetica and Courier (nothing to embed, text extractable); they cover
Western European names (cp1252), which is what the registry holds today.
"""

from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Group, Path, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.reports.custody_graph import NODE_HEIGHT, NODE_WIDTH, OUT_OF_CHAIN, CustodyGraph
from services.reports.pdf_table import Column, LongTable
from services.reports.provenance_report import ProvenanceReport

PAGE = landscape(A4)
MARGIN = 28.0
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
GRAPH_MAX_HEIGHT = 300.0
ROLE_FILL = {
    "manufacturer": colors.HexColor("#dbeafe"),
    "distributor": colors.HexColor("#ede9fe"),
    "pharmacy": colors.HexColor("#dcfce7"),
    "regulator": colors.HexColor("#fef9c3"),
    OUT_OF_CHAIN: colors.HexColor("#f3f4f6"),
}
MONO = "Courier"

TIMELINE_COLUMNS = [
    Column("Time (UTC)", 92),
    Column("Step", 58),
    Column("What happened", 260),
    Column("By / where", 156),
    Column("Scan result", 70),
    Column("Ledger (block · tx, tx id)", 150, MONO, 5.6),
]
SHIPMENT_COLUMNS = [
    Column("Shipment", 112, MONO, 6),
    Column("From", 100),
    Column("To", 100),
    Column("Packs", 40),
    Column("Received", 44),
    Column("Status", 52),
    Column("Shipped (UTC)", 92),
    Column("Received (UTC)", 92),
    Column("Ship / receive tx id", 154, MONO, 5.6),
]
ALERT_COLUMNS = [
    Column("Rule", 90),
    Column("Severity", 52),
    Column("Status", 60),
    Column("Serial", 80, MONO, 6),
    Column("Organization", 110),
    Column("Finding", 300),
    Column("First / last seen", 94),
]


def _time(iso: str | None) -> str:
    return iso.replace("T", " ").removesuffix("Z") if iso else "–"


def _graph(graph: CustodyGraph) -> Drawing:
    """The custody graph at the page's width (or smaller), y flipped for PDF coordinates."""
    scale = min(1.0, FRAME_WIDTH / max(graph.width, 1), GRAPH_MAX_HEIGHT / max(graph.height, 1))
    group = Group()
    flip = graph.height
    for edge in graph.edges:
        a, b = graph.node(edge.source), graph.node(edge.target)
        x1, y1, x2, y2 = a.x + NODE_WIDTH, flip - a.cy, b.x, flip - b.cy
        path = Path(strokeColor=colors.HexColor("#57606a"), strokeWidth=1.2, fillColor=None)
        path.moveTo(x1, y1)
        if x2 <= x1:  # a return or a same-column move: loop below both nodes
            low = flip - max(a.y, b.y) - NODE_HEIGHT - 20
            path.curveTo(x1 + 60, low, x2 - 60, low, x2, y2)
        else:
            mid = (x1 + x2) / 2
            path.curveTo(mid, y1, mid, y2, x2, y2)
        group.add(path)
        lx, ly = graph.label_point(edge)
        for line, dy in zip(edge.lines, (-3.0, 9.0), strict=True):
            label = String(lx, flip - ly - dy, line, fontName="Helvetica", fontSize=7)
            label.textAnchor = "middle"
            label.fillColor = colors.HexColor("#24292f")
            group.add(label)
    for node in graph.nodes.values():
        y = flip - node.y - NODE_HEIGHT
        box = Rect(node.x, y, NODE_WIDTH, NODE_HEIGHT, rx=6, ry=6)
        # set as attributes: the stubs type Rect's keyword arguments wrongly
        box.fillColor = ROLE_FILL.get(node.role, colors.white)
        box.strokeColor = colors.HexColor("#57606a")
        box.strokeWidth = 0.8
        group.add(box)
        group.add(
            String(
                node.x + 8,
                y + NODE_HEIGHT - 20,
                node.label[:34],
                fontName="Helvetica-Bold",
                fontSize=9,
            )
        )
        group.add(
            String(
                node.x + 8,
                y + 12,
                node.detail[:40],
                fontName="Helvetica",
                fontSize=7,
                fillColor=colors.HexColor("#57606a"),
            )
        )
    group.scale(scale, scale)
    drawing = Drawing(graph.width * scale, graph.height * scale)
    drawing.add(group)
    return drawing


def _summary(report: ProvenanceReport) -> Table:
    rows = [
        ("Product", f"{report.product_name} (GTIN {report.gtin})"),
        ("Manufacturer", report.manufacturer),
        (
            "Batch",
            f"{report.lot or 'unknown'} · expiry {report.expiry or '–'} · "
            f"{report.quantity if report.quantity is not None else '–'} packs",
        ),
        (
            "Batch status",
            report.batch_status + (f" — {report.status_reason}" if report.status_reason else ""),
        ),
    ]
    if report.kind == "pack":
        registered = "registered" if report.registered else "NEVER REGISTERED"
        rows.append(
            ("Pack", f"serial {report.serial} · status {report.pack_status} · {registered}")
        )
    c = report.counts
    rows.append(
        (
            "Evidence",
            f"{c['entries']:,} timeline entries: {c['ledger_events']:,} ledger "
            f"events, {c['scans']:,} scans ({c['scans_green']:,} green, "
            f"{c['scans_amber']:,} amber, {c['scans_red']:,} red), "
            f"{c['shipments']:,} shipments, {c['alerts']:,} alerts",
        )
    )
    if report.holders:
        rows.append(("Held now", "; ".join(f"{h.name}: {h.quantity:,}" for h in report.holders)))
    table = Table([[k, v] for k, v in rows], colWidths=[90, FRAME_WIDTH - 90], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 8),
                ("FONT", (1, 0), (1, -1), "Helvetica", 8),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#d0d7de")),
            ]
        )
    )
    return table


def _timeline_rows(report: ProvenanceReport) -> list[list[str]]:
    rows = []
    for e in report.timeline:
        ledger = (
            f"block {e.block} · tx {e.tx_index}\n{e.tx_id}"
            if e.kind == "ledger"
            else "off-chain scan"
        )
        result = f"{e.result}\n{e.light}" if e.kind == "scan" else ""
        rows.append([_time(e.at), e.step, e.sentence, f"{e.actor}\n{e.place}", result, ledger])
    return rows


def _shipment_rows(report: ProvenanceReport) -> list[list[str]]:
    return [
        [
            s.shipment_id,
            s.sender,
            s.receiver,
            f"{s.quantity:,}",
            "–" if s.received is None else f"{s.received:,}",
            s.status,
            _time(s.shipped_at),
            _time(s.received_at),
            f"{s.ship_tx_id}\n{s.receive_tx_id or '–'}",
        ]
        for s in report.shipments
    ]


def _alert_rows(report: ProvenanceReport) -> list[list[str]]:
    return [
        [
            a.rule,
            a.severity + (" (certain)" if a.certain else f" ({a.score:.2f})"),
            a.status,
            a.serial or "–",
            a.organization or "–",
            a.sentence,
            f"{_time(a.first_seen)}\n{_time(a.last_seen)}",
        ]
        for a in report.alerts
    ]


class _Footer:
    def __init__(self, title: str, stamp: str) -> None:
        self.title, self.stamp = title, stamp

    def __call__(self, canvas: Canvas, _doc: object) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#57606a"))
        canvas.drawString(
            MARGIN, 16, f"PharmaTrace provenance report · {self.title} · {self.stamp}"
        )
        canvas.drawRightString(PAGE[0] - MARGIN, 16, f"page {canvas.getPageNumber()}")
        canvas.restoreState()


def render_report_pdf(
    report: ProvenanceReport, *, generated_at: datetime, generated_for: str, ledger_height: int
) -> bytes:
    """The report as PDF bytes."""
    styles = getSampleStyleSheet()
    h1 = ParagraphStyle("h1", parent=styles["Heading1"], fontSize=16, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], fontSize=11, spaceBefore=10, spaceAfter=4)
    small = ParagraphStyle(
        "small", parent=styles["Normal"], fontSize=8, textColor=colors.HexColor("#57606a")
    )
    stamp = f"generated {generated_at.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    c = report.counts
    story: list[Flowable] = [
        Paragraph(escape(f"Provenance report: {report.title}"), h1),
        Paragraph(
            escape(
                f"{stamp} for {generated_for}, from the read model at ledger height "
                f"{ledger_height:,}. Ledger entries cite their block and transaction id; "
                "scans are off-chain records of the verification service."
            ),
            small,
        ),
        Spacer(0, 6),
        _summary(report),
        Paragraph("Custody chain", h2),
        _graph(report.graph),
        Paragraph(escape(f"Shipments ({c['shipments']:,})"), h2),
        LongTable(SHIPMENT_COLUMNS, _shipment_rows(report))
        if report.shipments
        else Paragraph("No shipments.", small),
        Paragraph(escape(f"Alerts ({c['alerts']:,})"), h2),
        LongTable(ALERT_COLUMNS, _alert_rows(report))
        if report.alerts
        else Paragraph("No alerts from the detection rules concern it.", small),
        Paragraph(
            escape(
                f"Timeline ({c['entries']:,} entries: {c['ledger_events']:,} ledger "
                f"events, {c['scans']:,} scans)"
            ),
            h2,
        ),
        LongTable(TIMELINE_COLUMNS, _timeline_rows(report)),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6,
        title=f"Provenance report: {report.title}",
        author="PharmaTrace",
        subject=f"{report.kind} provenance",
        creator="PharmaTrace",
    )
    footer = _Footer(report.title, stamp)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
