"""Proposal signatures and identities are checked against the MSP CAs before anything runs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

import services.ledger.embedded.ledger as ledger_module
from services.identity import MspDirectory, OrgIdentity, create_organization
from services.ledger import EndorseError
from services.ledger.embedded import EmbeddedLedger
from services.ledger.embedded.proposal import Proposal, new_proposal
from tests.integration.ledger.helpers import ledger_rows, ship_body, submit
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class ResigningIdentity(OrgIdentity):
    """An identity whose signatures pass through `alter` (a man in the middle, a broken HSM)."""

    alter: Callable[[bytes, bytes], bytes] = staticmethod(lambda message, signature: signature)

    def sign(self, message: bytes) -> bytes:
        return type(self).alter(message, super().sign(message))


def _altered(identity: OrgIdentity, alter: Callable[[bytes, bytes], bytes]) -> OrgIdentity:
    cls = type("Altered", (ResigningIdentity,), {"alter": staticmethod(alter)})
    return cls(identity.msp_id, identity.certificate_pem, identity.private_key)


def _foreign_identity(tmp_path: Path, msp_id: str) -> OrgIdentity:
    """A user of an organization called `msp_id` whose CA is not the channel's."""
    root = tmp_path / "rogue-msp"
    create_organization(root, msp_id)
    return MspDirectory(root).identity(msp_id)


def _assert_refused(
    network: SmallNetwork, ledger: EmbeddedLedger, identity: OrgIdentity, reason: str
) -> None:
    height = ledger.height()
    body = ship_body("SHP-ROGUE", "WholesaleMSP", network.gtin, "LOT001", 1)

    with pytest.raises(EndorseError) as refused:
        submit(ledger, identity, "Ship", body)

    assert refused.value.error.code == "ACCESS_DENIED"
    assert reason in refused.value.error.message
    assert refused.value.tx_id
    assert ledger.height() == height
    assert ledger_rows(
        ledger.path, "SELECT COUNT(*) FROM transactions WHERE tx_id = ?", (refused.value.tx_id,)
    ) == [(0,)]
    with pytest.raises(EndorseError) as read_refused:  # evaluate is guarded the same way
        ledger.contract(identity).evaluate("GetOrganization", json.dumps({"msp_id": "MakerMSP"}))
    assert read_refused.value.error.code == "ACCESS_DENIED"


def test_given_a_certificate_of_another_msps_ca_when_it_signs_as_the_maker_then_access_denied(
    network: SmallNetwork, ledger: EmbeddedLedger
) -> None:
    wholesaler = network.rt.identity("WholesaleMSP")
    impostor = OrgIdentity("MakerMSP", wholesaler.certificate_pem, wholesaler.private_key)

    _assert_refused(network, ledger, impostor, "not issued by the CA of MakerMSP")


def test_given_a_self_made_ca_naming_itself_maker_when_it_signs_then_access_denied(
    network: SmallNetwork, ledger: EmbeddedLedger, tmp_path: Path
) -> None:
    rogue = _foreign_identity(tmp_path, "MakerMSP")

    _assert_refused(network, ledger, rogue, "not issued by the CA of MakerMSP")


def test_given_a_valid_certificate_when_the_signature_bytes_are_tampered_then_access_denied(
    network: SmallNetwork, ledger: EmbeddedLedger
) -> None:
    def flip_r(_message: bytes, signature: bytes) -> bytes:
        r, s = decode_dss_signature(signature)
        return encode_dss_signature(r ^ 1, s)

    tampered = _altered(network.rt.identity("MakerMSP"), flip_r)

    _assert_refused(network, ledger, tampered, "does not verify")


def test_given_a_valid_certificate_when_the_signature_is_not_der_then_access_denied(
    network: SmallNetwork, ledger: EmbeddedLedger
) -> None:
    garbled = _altered(network.rt.identity("MakerMSP"), lambda _m, sig: sig[:-3] + b"\x00\x01")

    _assert_refused(network, ledger, garbled, "not DER encoded")


def test_given_a_mathematically_valid_high_s_signature_when_submitted_then_access_denied(
    network: SmallNetwork, ledger: EmbeddedLedger
) -> None:
    maker = network.rt.identity("MakerMSP")
    seen: list[tuple[bytes, bytes]] = []

    def high_s(message: bytes, signature: bytes) -> bytes:
        r, s = decode_dss_signature(signature)
        assert s <= P256_ORDER // 2  # the identity normalises to low S
        malleated = encode_dss_signature(r, P256_ORDER - s)
        seen.append((message, malleated))
        return malleated

    _assert_refused(network, ledger, _altered(maker, high_s), "Signature S is not low")

    message, malleated = seen[0]  # refused for its S alone: the signature itself verifies
    maker.private_key.public_key().verify(malleated, message, ec.ECDSA(hashes.SHA256()))


def test_given_an_msp_the_channel_does_not_know_when_it_signs_then_access_denied(
    network: SmallNetwork, ledger: EmbeddedLedger, tmp_path: Path
) -> None:
    ghost = _foreign_identity(tmp_path, "GhostMSP")

    _assert_refused(network, ledger, ghost, "Unknown MSP GhostMSP")


def test_given_a_proposal_whose_tx_id_was_chosen_when_submitted_then_access_denied(
    network: SmallNetwork, ledger: EmbeddedLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def chosen_tx_id(
        signer: OrgIdentity, function: str, args: tuple[str, ...], at: object
    ) -> tuple[Proposal, bytes]:
        proposal, _ = new_proposal(signer, function, args, at)  # type: ignore[arg-type]
        forged = dataclasses.replace(proposal, tx_id="0" * 64)
        return forged, signer.sign(forged.signed_bytes)  # correctly signed, but tx id not derived

    monkeypatch.setattr(ledger_module, "new_proposal", chosen_tx_id)

    _assert_refused(network, ledger, network.rt.identity("MakerMSP"), "transaction id")


def test_given_a_registered_msp_with_a_valid_identity_when_it_submits_then_it_commits(
    network: SmallNetwork, ledger: EmbeddedLedger
) -> None:
    body = ship_body("SHP-OK", "WholesaleMSP", network.gtin, "LOT001", 1)

    result = submit(ledger, network.rt.identity("MakerMSP"), "Ship", body)

    assert ledger.transaction_status(result.tx_id) == (result.block, 0, "VALID")
