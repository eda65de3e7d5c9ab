"""Every transaction of the contract under arbitrary JSON: refused with a coded ContractError that
is never INTERNAL (a refusal, not a crash), and a refusal changes nothing; queries never write.

test_arguments breaks one field at a time with hand-picked values; here hypothesis breaks any
field (or element, or the whole argument) with any JSON value, adds unknown keys, and sends
argument lists that are not one JSON object at all, as every organization of the channel.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaincode.contract import EVALUATE, SUBMIT
from chaincode.errors import ContractError, ErrorCode
from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    MANUFACTURER,
    OTHER_MANUFACTURER,
    PHARMACY_A,
    PHARMACY_B,
    REGULATOR,
    SERIAL,
    STRANGER,
    T0,
    T1,
    build_registered_world,
    build_stocked_world,
    ship_body,
)
from tests.unit.chaincode.fake_stub import FakeWorld
from tests.unit.chaincode.test_arguments import VALID

pytestmark = pytest.mark.unit

CALLERS = (REGULATOR, MANUFACTURER, OTHER_MANUFACTURER, DISTRIBUTOR, PHARMACY_A, PHARMACY_B)
FUNCTIONS = sorted(SUBMIT) + sorted(EVALUATE)
AT = T1 + timedelta(days=1)

# Any JSON value, with the strings and numbers that trip parsers: lone surrogates, controls,
# huge and negative integers, non-finite floats are left out (JSON has none).
TEXT = st.text(max_size=20) | st.sampled_from(["", " ", "\ud800", "\x00", "0" * 70, "LOT001"])
NUMBERS = st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@cache
def _template(name: str) -> FakeWorld:
    if name == "world":
        return build_registered_world()
    if name == "in_transit_world":
        world = build_registered_world()
        world.submit(
            MANUFACTURER,
            "Ship",
            ship_body("SHP-1", DISTRIBUTOR, BATCH.line(8)),
            T0 + timedelta(hours=1),
        )
        return world
    world = build_stocked_world()
    if name == "dispensed_world":
        world.submit(PHARMACY_A, "Decommission", BATCH.pack(SERIAL), T1)
    return world


def fresh_world(function: str) -> FakeWorld:
    """A copy of the world the function's valid request of test_arguments is accepted in."""
    valid = VALID.get(function)
    return copy.deepcopy(_template(valid.world if valid else "stocked_world"))


def valid_caller(function: str) -> str:
    valid = VALID.get(function)
    return valid.caller if valid else PHARMACY_A


def valid_body(function: str) -> Any:
    valid = VALID.get(function)
    if valid:
        return valid.body()
    if function == "GetHistory":
        return {"kind": "batch", **BATCH.key}
    return {}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a JSON value, the value itself first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(body: Any, path: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not path:
        return new
    body = copy.deepcopy(body)
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return body


def assert_refused_cleanly_or_accepted(
    world: FakeWorld, caller: str, function: str, parameters: list[str]
) -> None:
    before = world.snapshot()
    stub = world.stub(caller, AT)
    refusal: ContractError | None = None
    try:  # anything but a ContractError escaping invoke fails the test by itself
        world.contract.invoke(stub, function, parameters)
    except ContractError as error:
        refusal = error
    if refusal is not None:
        assert refusal.code is not ErrorCode.INTERNAL, (function, parameters, refusal)
        assert world.snapshot() == before
    elif function in EVALUATE:
        assert stub.writes == {}, (function, parameters)
        assert stub.event is None, (function, parameters)


FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(
    function=st.sampled_from(FUNCTIONS),
    caller=st.none() | st.sampled_from(CALLERS),
    data=st.data(),
    drop=st.booleans(),
    new=JSON_VALUES,
)
def test_any_field_replaced_by_any_json_is_refused_cleanly(
    function: str, caller: str | None, data: st.DataObject, drop: bool, new: Any
) -> None:
    """As the caller the valid request is accepted from (None), so the arguments are judged,
    or as anyone."""
    caller = caller or valid_caller(function)
    body = valid_body(function)
    path = data.draw(st.sampled_from(paths(body)), label="path")
    if drop and not path:
        drop = False
    mutated = replaced(body, path, new, drop)
    assert_refused_cleanly_or_accepted(
        fresh_world(function), caller, function, [json.dumps(mutated)]
    )


@FUZZ
@given(
    function=st.sampled_from(FUNCTIONS),
    caller=st.sampled_from((*CALLERS, STRANGER)),
    extra=st.dictionaries(TEXT, JSON_VALUES, min_size=1, max_size=3),
)
def test_unknown_keys_and_unknown_callers_are_refused_cleanly(
    function: str, caller: str, extra: dict[str, Any]
) -> None:
    body = valid_body(function)
    mutated = {**extra, **body} if isinstance(body, dict) else extra
    assert_refused_cleanly_or_accepted(
        fresh_world(function), caller, function, [json.dumps(mutated)]
    )


RAW_ARGUMENTS = st.lists(
    st.text(max_size=40)
    | JSON_VALUES.map(json.dumps)
    | st.sampled_from(["[" * 5000, '{"a":' * 5000, "{", "null", "\ufeff{}", '{"gtin": NaN}']),
    max_size=3,
)


@FUZZ
@given(
    function=st.sampled_from(FUNCTIONS) | st.text(max_size=20),
    caller=st.sampled_from(CALLERS),
    parameters=RAW_ARGUMENTS,
)
def test_arguments_that_are_not_one_json_object_are_refused_cleanly(
    function: str, caller: str, parameters: list[str]
) -> None:
    assert_refused_cleanly_or_accepted(fresh_world("GetOrganization"), caller, function, parameters)
