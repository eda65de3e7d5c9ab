"""`pharmatrace users create|list|revoke` and `pharmatrace audit`, in-process on a small chain."""

from __future__ import annotations

import getpass
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.auth.tokens import authenticate, token_id
from services.config import Settings
from services.errors import PharmaTraceError
from services.runtime import Runtime
from tests.integration.cli.conftest import Chain, Cli, ok

pytestmark = pytest.mark.integration


def refused(result_exit_code: int, output: str, code: str) -> None:
    assert result_exit_code == 2, output
    assert f"error {code}:" in output, output


def test_given_a_user_when_created_with_a_lifetime_then_it_expires_then(
    cli: Cli, chain: Chain, data_dir: Path
) -> None:
    created = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "alice",
                     "--expires-in", "12h"))  # fmt: skip
    token = created.stdout.strip()
    assert token.startswith("pt_")
    assert token_id(token) in created.stderr
    listed = ok(cli("users", "list", "--msp", "PharmacyAMSP")).stdout
    assert token_id(token) in listed
    assert "alice" in listed
    assert "active" in listed
    assert token not in listed
    expires = re.search(r"valid until (\S+)\.", created.stderr)
    assert expires is not None
    lifetime = datetime.fromisoformat(expires.group(1)) - datetime.now(UTC)
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12)


def test_given_a_default_token_then_it_lives_the_configured_days(
    cli: Cli, chain: Chain, data_dir: Path
) -> None:
    created = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "bob"))
    expires = re.search(r"valid until (\S+)\.", created.stderr)
    assert expires is not None
    lifetime = datetime.fromisoformat(expires.group(1)) - datetime.now(UTC)
    assert timedelta(days=89, hours=23) < lifetime <= timedelta(days=90)


@pytest.mark.parametrize("lifetime", ["0d", "90", "1y", "-3d", "d"])
def test_given_a_bad_lifetime_then_it_is_refused(cli: Cli, chain: Chain, lifetime: str) -> None:
    result = cli("users", "create", "--msp", "PharmacyAMSP", "--user", "x",
                 "--expires-in", lifetime)  # fmt: skip
    refused(result.exit_code, result.output, "INVALID_LIFETIME")


def test_given_tokens_when_revoked_by_id_or_by_user_then_they_are_refused(
    cli: Cli, chain: Chain, data_dir: Path
) -> None:
    one = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "carol")).stdout.strip()
    two = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "dave")).stdout.strip()
    three = ok(cli("users", "create", "--msp", "PharmacyAMSP", "--user", "dave")).stdout.strip()

    assert "Revoked token" in ok(cli("users", "revoke", token_id(one))).stderr
    assert (
        "Revoked 2 tokens of dave"
        in ok(cli("users", "revoke", "--msp", "PharmacyAMSP", "--user", "dave")).stderr
    )

    rt = Runtime(Settings(data_dir=data_dir))
    try:
        for token in (one, two, three):
            with pytest.raises(PharmaTraceError, match="revoked"):
                authenticate(rt, token)
    finally:
        rt.close()
    listed = ok(cli("users", "list", "--all")).stdout
    assert listed.count("revoked") == 3
    assert "carol" not in ok(cli("users", "list")).stdout  # active ones only by default

    again = cli("users", "revoke", token_id(one))
    refused(again.exit_code, again.output, "TOKEN_REVOKED")
    nobody = cli("users", "revoke", "--msp", "PharmacyAMSP", "--user", "dave")
    refused(nobody.exit_code, nobody.output, "NO_ACTIVE_TOKEN")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("abc",), "INVALID_TOKEN_ID"),
        (("0123456789ab",), "UNKNOWN_TOKEN"),
        ((), "INVALID_ARGUMENTS"),
        (("--user", "dave"), "INVALID_ARGUMENTS"),
    ],
)
def test_given_a_bad_revocation_then_a_clear_error(
    cli: Cli, chain: Chain, args: tuple[str, ...], code: str
) -> None:
    result = cli("users", "revoke", *args)
    assert result.exit_code != 0
    assert code in result.output


def test_given_an_unknown_organization_then_no_token(cli: Cli, chain: Chain) -> None:
    result = cli("users", "create", "--msp", "NoSuchMSP", "--user", "x")
    refused(result.exit_code, result.output, "UNKNOWN_ORGANIZATION")


def test_given_cli_writes_then_the_audit_names_the_operator_and_the_organization(
    cli: Cli, chain: Chain
) -> None:
    ships = [
        json.loads(line)
        for line in ok(cli("audit", "--action", "Ship", "--json")).stdout.splitlines()
    ]
    assert [s["msp_id"] for s in ships] == ["WholesaleMSP", "MakerMSP"]  # newest first
    for ship in ships:
        assert ship["user"] == f"os:{getpass.getuser()}"
        assert ship["outcome"] == "committed"
        assert len(ship["tx_id"]) == 64
        assert ship["kind"] == "write"
        assert "lines" in ship["detail"]
    table = ok(cli("audit", "--kind", "write", "--limit", "100")).stdout
    assert "Audit trail (" in table
    actions = {
        json.loads(line)["action"]
        for line in ok(cli("audit", "--kind", "write", "--json")).stdout.splitlines()
    }
    assert {"RegisterOrganization", "RegisterProduct", "RegisterBatch", "Receive"} <= actions
    none = ok(cli("audit", "--since", "2999-01-01"))
    assert "Nothing recorded matches" in none.stderr
    bad = cli("audit", "--since", "yesterday")
    refused(bad.exit_code, bad.output, "INVALID_DATE")
