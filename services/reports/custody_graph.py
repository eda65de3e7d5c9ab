"""The custody graph of a report: organizations as nodes, shipments as edges, laid out in columns.

Shipments between the same two organizations are one edge (count, quantity shipped and received,
first and last date), so a batch with thousands of shipments still draws legibly. Packs taken out
of the chain (dispensed, destroyed, …) end in terminal nodes, from the read model's current pack
statuses (an undone decommissioning is not counted). Columns are the shortest number of hops from
the manufacturer, so the chain reads left to right: manufacturer → distributors → pharmacies →
dispensed. The layout is computed once and drawn by the page (SVG) and the PDF (reportlab).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from services.reports.parties import Parties
from services.reports.timeline import PACK_STATUS_WORDS, packs

NODE_WIDTH, NODE_HEIGHT = 200.0, 54.0
COLUMN_GAP, ROW_GAP, MARGIN = 180.0, 34.0, 12.0
OUT_OF_CHAIN = "out"  # the role of terminal nodes


@dataclass(slots=True)
class GraphNode:
    key: str  # MSP id, or "out:<status>" for a terminal node
    label: str
    role: str
    detail: str
    column: int = 0
    x: float = 0.0
    y: float = 0.0

    @property
    def cx(self) -> float:
        return self.x + NODE_WIDTH / 2

    @property
    def cy(self) -> float:
        return self.y + NODE_HEIGHT / 2


@dataclass(slots=True)
class GraphEdge:
    source: str
    target: str
    shipments: int = 0
    quantity: int = 0
    received: int = 0
    in_transit: int = 0
    first: str = ""
    last: str = ""

    @property
    def lines(self) -> tuple[str, str]:
        """The edge's label in two short lines: what moved, then how often and when."""
        moved = packs(self.quantity) + (f" ({self.note})" if self.note else "")
        if self.shipments == 0:
            return moved, ""
        first, last = self.first[:10], self.last[:10]
        dates = first if first == last else f"{first} – {last}"
        count = "1 shipment" if self.shipments == 1 else f"{self.shipments:,} shipments"
        return moved, f"{count} · {dates}"

    @property
    def note(self) -> str:
        """What did not arrive (yet): short receipts and shipments in transit."""
        parts: list[str] = []
        if self.shipments == 0:
            return ""
        if self.in_transit:
            parts.append(f"{self.in_transit:,} in transit")
        missing = self.quantity - self.received - self.in_transit
        if missing > 0:
            parts.append(f"{missing:,} short")
        return ", ".join(parts)


@dataclass
class CustodyGraph:
    nodes: dict[str, GraphNode] = field(default_factory=dict)
    edges: list[GraphEdge] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    node_width: float = NODE_WIDTH
    node_height: float = NODE_HEIGHT

    def node(self, key: str) -> GraphNode:
        return self.nodes[key]

    def path(self, edge: GraphEdge) -> str:
        """An SVG path (cubic curve) from the source's right side to the target's left side."""
        a, b = self.nodes[edge.source], self.nodes[edge.target]
        x1, y1 = a.x + NODE_WIDTH, a.cy
        x2, y2 = b.x, b.cy
        if x2 <= x1:  # a return or a same-column move: loop below both nodes
            low = max(a.y, b.y) + NODE_HEIGHT + ROW_GAP * 0.8
            bend = f"{x1 + 60:.1f},{low:.1f} {x2 - 60:.1f},{low:.1f}"
            return f"M{x1:.1f},{y1:.1f} C{bend} {x2:.1f},{y2:.1f}"
        mid = (x1 + x2) / 2
        return f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"

    def label_point(self, edge: GraphEdge) -> tuple[float, float]:
        """The middle of the edge's curve: its first label line goes above, the second below."""
        a, b = self.nodes[edge.source], self.nodes[edge.target]
        x1, x2 = a.x + NODE_WIDTH, b.x
        if x2 <= x1:
            return (x1 + x2) / 2, max(a.y, b.y) + NODE_HEIGHT + ROW_GAP * 0.6
        return (x1 + x2) / 2, (a.cy + b.cy) / 2


def _org_node(parties: Parties, msp_id: str) -> GraphNode:
    party = parties.get(msp_id)
    if party is None:
        return GraphNode(msp_id, msp_id, "unknown", "not a registered organization")
    return GraphNode(msp_id, party.name, party.role, f"{party.role} · {msp_id}")


def _shipment_edges(shipments: list[dict[str, Any]]) -> dict[tuple[str, str], GraphEdge]:
    edges: dict[tuple[str, str], GraphEdge] = {}
    for s in shipments:
        key = (s["sender"], s["receiver"])
        edge = edges.setdefault(key, GraphEdge(*key, first=s["shipped_at"], last=s["shipped_at"]))
        edge.shipments += 1
        edge.quantity += s["quantity"]
        if s["status"] == "in_transit":
            edge.in_transit += s["quantity"]
        else:
            edge.received += s["received"] if s["received"] is not None else s["quantity"]
        edge.first = min(edge.first, s["shipped_at"])
        edge.last = max(edge.last, s["shipped_at"])
    return edges


def _columns(graph: CustodyGraph, root: str | None) -> None:
    """Shortest hop count from the manufacturer; unreachable organizations after the rest."""
    outgoing: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        outgoing[edge.source].append(edge.target)
    depth: dict[str, int] = {}
    queue: deque[str] = deque()
    if root is not None and root in graph.nodes:
        depth[root] = 0
        queue.append(root)
    while queue:
        here = queue.popleft()
        for there in outgoing[here]:
            if there not in depth:
                depth[there] = depth[here] + 1
                queue.append(there)
    orgs = [k for k, n in graph.nodes.items() if n.role != OUT_OF_CHAIN]
    last = max(depth.values(), default=-1)
    for key in orgs:
        graph.nodes[key].column = depth.get(key, last + 1)
    deepest = max((graph.nodes[k].column for k in orgs), default=0)
    for node in graph.nodes.values():
        if node.role == OUT_OF_CHAIN:
            node.column = deepest + 1


def _place(graph: CustodyGraph) -> None:
    by_column: dict[int, list[GraphNode]] = defaultdict(list)
    for node in graph.nodes.values():
        by_column[node.column].append(node)
    tallest = max((len(c) for c in by_column.values()), default=0)
    full = tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
    for column, nodes in by_column.items():
        nodes.sort(key=lambda n: (n.role, n.label))
        own = len(nodes) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
        top = MARGIN + (full - own) / 2
        for row, node in enumerate(nodes):
            node.x = MARGIN + column * (NODE_WIDTH + COLUMN_GAP)
            node.y = top + row * (NODE_HEIGHT + ROW_GAP)
    columns = max(by_column, default=0) + 1
    graph.width = 2 * MARGIN + columns * NODE_WIDTH + (columns - 1) * COLUMN_GAP
    graph.height = 2 * MARGIN + full + ROW_GAP * 2  # room for loops under the lowest row


def custody_graph(
    parties: Parties,
    manufacturer: str | None,
    shipments: list[dict[str, Any]],
    out_of_chain: dict[tuple[str, str], int],
) -> CustodyGraph:
    """`out_of_chain`: (MSP id, pack status) → packs of that status decommissioned there."""
    graph = CustodyGraph()
    if manufacturer:
        graph.nodes[manufacturer] = _org_node(parties, manufacturer)
    edges = _shipment_edges(shipments)
    for sender, receiver in edges:
        for msp_id in (sender, receiver):
            if msp_id not in graph.nodes:
                graph.nodes[msp_id] = _org_node(parties, msp_id)
    graph.edges = list(edges.values())
    totals: dict[str, int] = defaultdict(int)
    for (msp_id, status), count in sorted(out_of_chain.items()):
        key = f"{OUT_OF_CHAIN}:{status}"
        totals[key] += count
        if msp_id not in graph.nodes:
            graph.nodes[msp_id] = _org_node(parties, msp_id)
        graph.edges.append(GraphEdge(msp_id, key, quantity=count))
    for key, total in totals.items():
        word = PACK_STATUS_WORDS.get(key.split(":", 1)[1], key.split(":", 1)[1])
        graph.nodes[key] = GraphNode(key, word.capitalize(), OUT_OF_CHAIN, packs(total))
    _columns(graph, manufacturer)
    _place(graph)
    return graph
