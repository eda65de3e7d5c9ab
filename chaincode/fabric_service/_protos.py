"""The Fabric protobuf modules this service speaks, bound once at the typing boundary.

`hyperledger-fabric-protos` ships a `py.typed` marker but no `.pyi` stubs: its generated modules
create their message classes at import time (`_builder.BuildTopDescriptorsAndMessages(...,
globals())`), so mypy sees modules without attributes. Each module is re-bound to `Any` here and
nowhere else; the rest of the package reaches the messages through these names, and the unit tests
check the fields by building and parsing real messages.
"""

from __future__ import annotations

from typing import Any, Final

from fabric_protos.common import common_pb2
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import (
    chaincode_event_pb2,
    chaincode_pb2,
    chaincode_shim_pb2,
    proposal_pb2,
    proposal_response_pb2,
)

# A protobuf message instance. Untyped by necessity (see the module docstring).
Message = Any

common: Final[Any] = common_pb2
queryresult: Final[Any] = kv_query_result_pb2
identities: Final[Any] = identities_pb2
events: Final[Any] = chaincode_event_pb2
chaincode: Final[Any] = chaincode_pb2
shim: Final[Any] = chaincode_shim_pb2
proposal: Final[Any] = proposal_pb2
response: Final[Any] = proposal_response_pb2

_Type: Final[Any] = shim.ChaincodeMessage.Type

REGISTER: Final[int] = _Type.Value("REGISTER")
REGISTERED: Final[int] = _Type.Value("REGISTERED")
INIT: Final[int] = _Type.Value("INIT")
READY: Final[int] = _Type.Value("READY")
TRANSACTION: Final[int] = _Type.Value("TRANSACTION")
COMPLETED: Final[int] = _Type.Value("COMPLETED")
ERROR: Final[int] = _Type.Value("ERROR")
GET_STATE: Final[int] = _Type.Value("GET_STATE")
PUT_STATE: Final[int] = _Type.Value("PUT_STATE")
DEL_STATE: Final[int] = _Type.Value("DEL_STATE")
RESPONSE: Final[int] = _Type.Value("RESPONSE")
GET_STATE_BY_RANGE: Final[int] = _Type.Value("GET_STATE_BY_RANGE")
QUERY_STATE_NEXT: Final[int] = _Type.Value("QUERY_STATE_NEXT")
QUERY_STATE_CLOSE: Final[int] = _Type.Value("QUERY_STATE_CLOSE")
KEEPALIVE: Final[int] = _Type.Value("KEEPALIVE")
GET_HISTORY_FOR_KEY: Final[int] = _Type.Value("GET_HISTORY_FOR_KEY")

ENDORSER_TRANSACTION: Final[int] = common.HeaderType.Value("ENDORSER_TRANSACTION")
CONFIG: Final[int] = common.HeaderType.Value("CONFIG")


def type_name(message_type: int) -> str:
    """The name of a ChaincodeMessage type, for logs and error messages."""
    try:
        return str(_Type.Name(message_type))
    except ValueError:
        return f"type {message_type}"
