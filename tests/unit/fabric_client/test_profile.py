"""The connection profile `network` writes is the one the client reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from network.profile import NetworkProfile, OrgProfile
from services.ledger.fabric.profile import (
    PeerEndpoint,
    ProfileError,
    UserCredentials,
    load_profile,
    parse_profile,
)

pytestmark = pytest.mark.unit


def written_by_network(tmp_path: Path) -> Path:
    org = OrgProfile(
        msp_id="ManufacturerMSP",
        org="manufacturer",
        peer_endpoint="127.0.0.1:7060",
        peer_host_alias="peer0.manufacturer.pharmatrace.test",
        tls_root_cert="/fabric/crypto/maker/tls/ca.crt",
        user_cert="/fabric/crypto/maker/users/User1/msp/signcerts/cert.pem",
        user_key="/fabric/crypto/maker/users/User1/msp/keystore/priv_sk",
        admin_cert="/fabric/crypto/maker/users/Admin/msp/signcerts/cert.pem",
        admin_key="/fabric/crypto/maker/users/Admin/msp/keystore/priv_sk",
        operations_endpoint="127.0.0.1:7062",
    )
    profile = NetworkProfile(
        channel="pharmatrace",
        chaincode="pharmatrace",
        chaincode_version="1.0",
        package_id="pharmatrace_1.0:abc",
        endorsement_policy="OR('ManufacturerMSP.peer')",
        orderer_endpoint="127.0.0.1:7050",
        orderer_msp_id="OrdererMSP",
        orderer_host_alias="orderer0.orderer.pharmatrace.test",
        orderer_tls_root_cert="/fabric/crypto/orderer/tls/ca.crt",
        chaincode_address="127.0.0.1:7100",
        orgs={"ManufacturerMSP": org},
    )
    path = tmp_path / "connection.json"
    path.write_text(profile.to_json())
    return path


def test_the_network_packages_profile_file_loads(tmp_path: Path) -> None:
    profile = load_profile(written_by_network(tmp_path))

    org = profile.organization("ManufacturerMSP")
    assert (profile.channel, profile.chaincode) == ("pharmatrace", "pharmatrace")
    assert org.peer == PeerEndpoint(
        "127.0.0.1:7060",
        Path("/fabric/crypto/maker/tls/ca.crt"),
        "peer0.manufacturer.pharmatrace.test",
    )
    assert org.user == UserCredentials(
        Path("/fabric/crypto/maker/users/User1/msp/signcerts/cert.pem"),
        Path("/fabric/crypto/maker/users/User1/msp/keystore/priv_sk"),
    )
    assert org.admin is not None


def test_relative_paths_are_taken_from_the_profiles_folder(tmp_path: Path) -> None:
    body = {
        "channel": "c",
        "chaincode": "cc",
        "orgs": {"M": {"peer_endpoint": "h:1", "tls_root_cert": "tls/ca.crt"}},
    }

    profile = parse_profile(body, tmp_path)

    assert profile.organization("M").peer.tls_root_cert == tmp_path / "tls" / "ca.crt"
    assert profile.organization("M").user is None


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"channel": "c", "chaincode": "cc", "orgs": {}},
        {"channel": "", "chaincode": "cc", "orgs": {"M": {"peer_endpoint": "h:1"}}},
        {"channel": "c", "chaincode": "cc", "orgs": {"M": {}}},
        {"schema": 2, "channel": "c", "chaincode": "cc", "orgs": {"M": {"peer_endpoint": "h"}}},
    ],
)
def test_incomplete_profiles_are_refused(body: object, tmp_path: Path) -> None:
    with pytest.raises(ProfileError):
        parse_profile(body, tmp_path)


def test_an_unknown_organization_is_named(tmp_path: Path) -> None:
    profile = load_profile(written_by_network(tmp_path))

    with pytest.raises(ProfileError, match="PharmacyMSP"):
        profile.organization("PharmacyMSP")


def test_a_missing_file_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError):
        load_profile(tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ProfileError):
        load_profile(tmp_path / "bad.json")
    assert json.loads(written_by_network(tmp_path).read_text())["schema"] == 1
