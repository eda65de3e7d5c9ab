"""The serial-number commitment: every proof verifies, and no proof verifies for anything else."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chaincode import merkle

pytestmark = pytest.mark.unit

# GS1 AI encodable character set 82, as the contract accepts it for serials.
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

serials = st.text(alphabet=CSET82, min_size=1, max_size=20)
serial_lists = st.lists(serials, min_size=1, max_size=300, unique=True)


def tree(serial_list: list[str]) -> tuple[list[str], list[bytes], bytes]:
    ordered = sorted(serial_list)
    leaves = [merkle.leaf_hash(s) for s in ordered]
    return ordered, leaves, merkle.root_of_leaves(leaves)


def path_shape(index: int, leaf_count: int) -> list[bool]:
    """Per level that has a sibling, whether the node is the right child (independent oracle)."""
    shape = []
    while leaf_count > 1:
        if index ^ 1 < leaf_count:
            shape.append(index % 2 == 1)
        index //= 2
        leaf_count = (leaf_count + 1) // 2
    return shape


def flip_bit(digest: bytes, bit: int) -> bytes:
    return digest[: bit // 8] + bytes([digest[bit // 8] ^ (1 << bit % 8)]) + digest[bit // 8 + 1 :]


# -- every proof verifies --------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(serial_lists)
def test_every_index_has_a_proof_that_verifies(serial_list: list[str]) -> None:
    ordered, leaves, root = tree(serial_list)

    for index, serial in enumerate(ordered):
        proof = merkle.proof_for(leaves, index)
        assert merkle.verify_proof(serial, index, proof, len(leaves), root)
        assert len(proof) == len(path_shape(index, len(leaves)))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9])
def test_small_trees_every_proof_verifies(size: int) -> None:
    ordered, leaves, root = tree([f"SN{n:03d}" for n in range(size)])

    assert merkle.root_of_serials(ordered) == root
    for index, serial in enumerate(ordered):
        proof = merkle.proof_for(leaves, index)
        assert merkle.verify_proof(serial, index, proof, size, root)
        assert len(proof) <= (size - 1).bit_length()


def test_small_tree_shapes_by_hand() -> None:
    leaf = [merkle.leaf_hash(f"SN{n}") for n in range(9)]
    node = merkle.node_hash

    assert merkle.root_of_leaves(leaf[:1]) == leaf[0]
    assert merkle.root_of_leaves(leaf[:2]) == node(leaf[0], leaf[1])
    assert merkle.root_of_leaves(leaf[:3]) == node(node(leaf[0], leaf[1]), leaf[2])
    n01, n23, n45, n67 = (node(leaf[i], leaf[i + 1]) for i in (0, 2, 4, 6))
    assert merkle.root_of_leaves(leaf[:5]) == node(node(n01, n23), leaf[4])
    assert merkle.root_of_leaves(leaf[:7]) == node(node(n01, n23), node(n45, leaf[6]))
    assert merkle.root_of_leaves(leaf[:8]) == node(node(n01, n23), node(n45, n67))
    assert merkle.root_of_leaves(leaf[:9]) == node(node(node(n01, n23), node(n45, n67)), leaf[8])
    assert merkle.proof_for(leaf[:5], 4) == [node(n01, n23)], "an unpaired node is promoted"


def test_leaves_and_nodes_are_hashed_apart() -> None:
    assert merkle.leaf_hash("SN1") == hashlib.sha256(b"\x00SN1").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


def test_root_of_no_serials_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        merkle.root_of_serials([])


@pytest.mark.parametrize("index", [-1, 3])
def test_proof_for_an_index_outside_the_tree_is_refused(index: int) -> None:
    with pytest.raises(IndexError):
        merkle.proof_for([merkle.leaf_hash(s) for s in "abc"], index)


# -- no proof verifies for anything else ---------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(serial_lists, st.data())
def test_a_proof_never_verifies_for_another_serial(
    serial_list: list[str], data: st.DataObject
) -> None:
    ordered, leaves, root = tree(serial_list)
    index = data.draw(st.integers(0, len(ordered) - 1))
    other = data.draw(serials)
    assume(other != ordered[index])

    assert not merkle.verify_proof(other, index, merkle.proof_for(leaves, index), len(leaves), root)


@settings(max_examples=100, deadline=None)
@given(st.lists(serials, min_size=2, max_size=300, unique=True), st.data())
def test_a_proof_never_verifies_at_another_index(
    serial_list: list[str], data: st.DataObject
) -> None:
    ordered, leaves, root = tree(serial_list)
    index = data.draw(st.integers(0, len(ordered) - 1))
    other = data.draw(st.integers(-2, len(ordered) + 2).filter(lambda i: i != index))
    proof = merkle.proof_for(leaves, index)

    assert not merkle.verify_proof(ordered[index], other, proof, len(leaves), root)


@settings(max_examples=100, deadline=None)
@given(serial_lists, st.data())
def test_a_proof_verifies_for_another_leaf_count_only_along_an_identical_path(
    serial_list: list[str], data: st.DataObject
) -> None:
    """The leaf count is part of the commitment: a proof binds it only through the path it
    implies, so the contract must (and does) take the count from the batch token, never from
    the client."""
    ordered, leaves, root = tree(serial_list)
    index = data.draw(st.integers(0, len(ordered) - 1))
    count = data.draw(st.integers(0, 2 * len(ordered) + 2).filter(lambda n: n != len(ordered)))
    proof = merkle.proof_for(leaves, index)

    same_path = index < count and path_shape(index, count) == path_shape(index, len(leaves))
    assert merkle.verify_proof(ordered[index], index, proof, count, root) is same_path


def test_a_proof_can_verify_for_a_leaf_count_with_the_same_path() -> None:
    """Three leaves and four share the path of leaf 0 (RFC 6962 trees do too)."""
    _, leaves, root = tree(["A", "B", "C"])

    assert merkle.verify_proof("A", 0, merkle.proof_for(leaves, 0), 4, root)
    assert not merkle.verify_proof("C", 2, merkle.proof_for(leaves, 2), 4, root)


@settings(max_examples=100, deadline=None)
@given(st.lists(serials, min_size=2, max_size=300, unique=True), st.data())
def test_a_tampered_sibling_never_verifies(serial_list: list[str], data: st.DataObject) -> None:
    ordered, leaves, root = tree(serial_list)
    index = data.draw(st.integers(0, len(ordered) - 1))
    proof = merkle.proof_for(leaves, index)
    which = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    tampered = [*proof[:which], flip_bit(proof[which], bit), *proof[which + 1 :]]

    assert not merkle.verify_proof(ordered[index], index, tampered, len(leaves), root)


@settings(max_examples=50, deadline=None)
@given(st.lists(serials, min_size=2, max_size=300, unique=True), st.data())
def test_a_shortened_or_lengthened_proof_never_verifies(
    serial_list: list[str], data: st.DataObject
) -> None:
    ordered, leaves, root = tree(serial_list)
    index = data.draw(st.integers(0, len(ordered) - 1))
    proof = merkle.proof_for(leaves, index)

    assert not merkle.verify_proof(ordered[index], index, proof[:-1], len(leaves), root)
    assert not merkle.verify_proof(ordered[index], index, [*proof, root], len(leaves), root)


def test_a_single_leaf_tree_accepts_only_the_empty_proof() -> None:
    root = merkle.root_of_serials(["ONLY"])

    assert merkle.verify_proof("ONLY", 0, [], 1, root)
    assert not merkle.verify_proof("ONLY", 0, [root], 1, root)
    assert not merkle.verify_proof("ONLY", 0, [], 0, root)


# -- order and identity of the root ------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(
    st.lists(serials, min_size=1, max_size=300, unique=True).flatmap(
        lambda s: st.permutations(s).map(lambda p: (s, p))
    )
)
def test_the_root_does_not_depend_on_input_order(lists: tuple[list[str], list[str]]) -> None:
    original, shuffled = lists

    assert merkle.root_of_serials(original) == merkle.root_of_serials(shuffled)


@settings(max_examples=100, deadline=None)
@given(serial_lists, serials)
def test_adding_a_serial_changes_the_root(serial_list: list[str], extra: str) -> None:
    assume(extra not in serial_list)

    assert merkle.root_of_serials(serial_list) != merkle.root_of_serials([*serial_list, extra])


def test_duplicating_the_odd_leaf_does_not_collide() -> None:
    """An unpaired node is promoted, never paired with itself (the Bitcoin CVE-2012-2459 shape)."""
    assert merkle.root_of_serials(["A", "B", "C"]) != merkle.root_of_serials(["A", "B", "C", "C"])
