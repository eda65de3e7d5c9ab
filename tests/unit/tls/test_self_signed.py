"""The self-signed HTTPS certificate: names, reuse, renewal, and operator-supplied files."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509

from services.tls import KEY_NAME, TlsError, given, self_signed

pytestmark = pytest.mark.unit

NAMES = ["localhost", "127.0.0.1", "::1", "pharmacy-pc", "192.168.1.20"]
NOW = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)


def test_given_no_certificate_when_asked_then_one_naming_every_address_is_made(
    tmp_path: Path,
) -> None:
    made = self_signed(tmp_path, names=NAMES, now=NOW)

    assert made.created
    assert set(made.names) == set(NAMES)
    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    assert cert.not_valid_before_utc <= NOW < cert.not_valid_after_utc
    assert cert.not_valid_after_utc - NOW <= dt.timedelta(days=398)  # browsers' limit
    assert stat.S_IMODE((tmp_path / KEY_NAME).stat().st_mode) == 0o600
    assert len(made.fingerprint.split(":")) == 32


def test_given_a_valid_certificate_when_asked_again_then_it_is_reused(tmp_path: Path) -> None:
    first = self_signed(tmp_path, names=NAMES, now=NOW)
    again = self_signed(tmp_path, names=NAMES[:3], now=NOW + dt.timedelta(days=100))

    assert not again.created
    assert again.fingerprint == first.fingerprint


def test_given_a_new_lan_address_when_asked_then_the_certificate_is_renewed(
    tmp_path: Path,
) -> None:
    first = self_signed(tmp_path, names=NAMES, now=NOW)
    moved = self_signed(tmp_path, names=[*NAMES[:4], "10.0.0.7"], now=NOW)

    assert moved.created
    assert moved.fingerprint != first.fingerprint
    assert "10.0.0.7" in moved.names


def test_given_a_certificate_near_expiry_when_asked_then_it_is_renewed(tmp_path: Path) -> None:
    first = self_signed(tmp_path, names=NAMES, now=NOW)
    later = self_signed(tmp_path, names=NAMES, now=NOW + dt.timedelta(days=380))

    assert later.created
    assert later.fingerprint != first.fingerprint


def test_given_operator_files_when_they_belong_together_then_they_are_used(
    tmp_path: Path,
) -> None:
    made = self_signed(tmp_path / "a", names=NAMES, now=NOW)

    used = given(made.cert_path, made.key_path)

    assert used.fingerprint == made.fingerprint
    assert not used.created


def test_given_a_key_of_another_certificate_when_used_then_it_is_refused(tmp_path: Path) -> None:
    one = self_signed(tmp_path / "one", names=NAMES, now=NOW)
    other = self_signed(tmp_path / "other", names=NAMES, now=NOW)

    with pytest.raises(TlsError, match="does not belong"):
        given(one.cert_path, other.key_path)


def test_given_a_file_that_is_no_certificate_when_used_then_it_is_refused(
    tmp_path: Path,
) -> None:
    made = self_signed(tmp_path, names=NAMES, now=NOW)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")

    with pytest.raises(TlsError, match="Cannot read the certificate"):
        given(junk, made.key_path)
    with pytest.raises(TlsError, match="Cannot read the private key"):
        given(made.cert_path, junk)
