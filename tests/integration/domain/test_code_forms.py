"""Every form a pack code reaches the counter in gives the same verdict and the same pack."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.domain import packs
from services.gs1 import PackIdentifier, to_digital_link, to_element_string, to_human_readable
from tests.integration.domain.support import scan
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

Form = Callable[[PackIdentifier], str]

FORMS = [
    pytest.param(to_element_string, id="element-string-with-gs"),
    pytest.param(lambda p: "]d2" + to_element_string(p), id="datamatrix-prefix-]d2"),
    pytest.param(lambda p: "]d2\x1d" + to_element_string(p) + "\r\n", id="]d2-leading-fnc1-crlf"),
    pytest.param(to_human_readable, id="human-readable"),
    pytest.param(to_digital_link, id="digital-link"),
    pytest.param(
        lambda p: to_digital_link(p, domain="verify.example-pharma.eu"),
        id="digital-link-own-domain",
    ),
]


def _pack(net: SmallNetwork, serial_index: int) -> PackIdentifier:
    return PackIdentifier(
        gtin=net.gtin, lot=net.lot, serial=net.serials[serial_index], expiry=net.expiry
    )


@pytest.mark.parametrize("form", FORMS)
def test_given_a_pack_code_in_any_form_when_scanned_then_it_is_read_as_the_same_authentic_pack(
    network: SmallNetwork, form: Form
) -> None:
    pack = _pack(network, 5)

    verdict = scan(network, network.pharmacy_a, form(pack))

    assert (verdict.result, verdict.light) == ("OK", "green")
    assert verdict.identifier == {
        "gtin": network.gtin,
        "lot": network.lot,
        "serial": pack.serial,
        "expiry": network.expiry.isoformat(),
    }


@pytest.mark.parametrize("form", FORMS)
def test_given_a_pack_code_in_any_form_when_dispensed_then_the_right_pack_is_decommissioned(
    network: SmallNetwork, form: Form
) -> None:
    pack = _pack(network, 7)

    committed = packs.decommission(network.rt, actor=network.pharmacy_a, code=form(pack))

    assert committed.record["serial"] == pack.serial
    stored = packs.get_pack(network.rt, network.gtin, pack.serial or "")
    assert stored is not None
    assert stored.status == "supplied"
