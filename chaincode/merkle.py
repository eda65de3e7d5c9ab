"""Serial-number commitment: a Merkle tree over a batch's serials.

A batch of a million packs costs one small transaction (count + root), and any single pack's
membership is proven with about twenty hashes. The tree follows RFC 6962's shape: leaves and inner
nodes are hashed with different prefixes (no second-preimage trick), and an unpaired node is
promoted to the next level unchanged (never duplicated, which would let two different serial lists
share a root). Leaves are the serials in sorted order, so the root does not depend on input order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(serial: str) -> bytes:
    """The leaf of one serial number."""
    return hashlib.sha256(_LEAF + serial.encode()).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An inner node."""
    return hashlib.sha256(_NODE + left + right).digest()


def next_level(level: Sequence[bytes]) -> list[bytes]:
    """Pair up one level; an odd last node moves up unchanged."""
    sha = hashlib.sha256
    up = [sha(_NODE + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        up.append(level[-1])
    return up


def root_of_leaves(leaves: Sequence[bytes]) -> bytes:
    """Root of already hashed, already ordered leaves."""
    if not leaves:
        raise ValueError("a Merkle tree needs at least one leaf")
    level = list(leaves)
    while len(level) > 1:
        level = next_level(level)
    return level[0]


def root_of_serials(serials: Iterable[str]) -> bytes:
    """Root of a serial list (sorted here; duplicates are the caller's to refuse)."""
    return root_of_leaves([leaf_hash(s) for s in sorted(serials)])


def proof_for(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling hashes from leaf `index` up to the root (for tests and small batches)."""
    if not 0 <= index < len(leaves):
        raise IndexError(index)
    siblings: list[bytes] = []
    level = list(leaves)
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            siblings.append(level[sibling])
        level = next_level(level)
        index //= 2
    return siblings


def verify_proof(
    serial: str, index: int, siblings: Sequence[bytes], leaf_count: int, root: bytes
) -> bool:
    """True when `serial` sits at `index` of a tree of `leaf_count` leaves with this `root`."""
    if not 0 <= index < leaf_count:
        return False
    node = leaf_hash(serial)
    size, used = leaf_count, 0
    while size > 1:
        if index ^ 1 < size:
            if used >= len(siblings):
                return False
            sibling = siblings[used]
            used += 1
            node = node_hash(sibling, node) if index % 2 else node_hash(node, sibling)
        index //= 2
        size = (size + 1) // 2
    return used == len(siblings) and node == root
