"""Injected faults, to prove the failure paths against a real peer. Off unless enabled.

The contract turns its own bugs into INTERNAL errors, and a real peer answers well-formed
requests without ERROR, so the paths that broke the PyPI shim (an exception outside the contract,
an ERROR reply from the peer) cannot be reached through the contract on a healthy network. With
`--test-faults` (or PHARMATRACE_CHAINCODE_TEST_FAULTS=1) the service also answers these reserved
function names, which no contract function can have (they contain a colon). Never enable it on a
network that matters: it lets any channel member make the service log errors.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from chaincode.errors import ContractError, ErrorCode

PREFIX = "PharmaTraceTestFault:"
RAISE = PREFIX + "Raise"  # an exception outside the contract's own guard
PEER_ERROR = PREFIX + "PeerError"  # a request the peer answers with ERROR
PEER_ERROR_SWALLOWED = PREFIX + "PeerErrorSwallowed"  # ... which the code then ignores
ALL = frozenset({RAISE, PEER_ERROR, PEER_ERROR_SWALLOWED})

# An iterator id the peer cannot know: QUERY_STATE_NEXT on it is answered with ERROR.
_NO_SUCH_ITERATOR = "pharmatrace-test-fault-no-such-iterator"


class _QueryStub(Protocol):
    def query_state_next(self, iterator_id: str) -> object: ...


def is_fault(function: str) -> bool:
    return function in ALL


def run(function: str, stub: _QueryStub) -> bytes:
    """Run one fault. Returning normally from a peer-error fault would be the shim's bug."""
    if function == RAISE:
        raise RuntimeError("injected fault")
    if function == PEER_ERROR:
        stub.query_state_next(_NO_SUCH_ITERATOR)
        return b'"the peer ERROR was read as a success"'
    if function == PEER_ERROR_SWALLOWED:
        # Deliberately swallowed: the handler must still fail the transaction.
        with contextlib.suppress(Exception):
            stub.query_state_next(_NO_SUCH_ITERATOR)
        return b'"a swallowed peer ERROR was reported as a success"'
    raise ContractError(ErrorCode.UNKNOWN_FUNCTION, f"No test fault named {function!r}.")
