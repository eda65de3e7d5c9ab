"""Who is acting in the current request or command, for the audit trail of writes.

Domain functions pass `Runtime.submit` only the organization; the person, role and premises ride
in a context variable set where the actor is known: the API's authentication dependency (FastAPI
copies the context into the thread that runs a route) and callers that use `attributed(...)`.
A write with no attribution set (a CLI command, a background job) is recorded as done by the
operating-system user of the process, which is who ran it.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Attribution:
    """The person behind a write: user, organization, role, premises GLN, and the channel."""

    msp_id: str
    user: str
    role: str
    location: str
    origin: str


_current: ContextVar[Attribution | None] = ContextVar("pharmatrace_attribution", default=None)


def set_attribution(attribution: Attribution) -> None:
    """For the rest of the current context (an API request's task)."""
    _current.set(attribution)


@contextmanager
def attributed(attribution: Attribution) -> Iterator[None]:
    """Writes inside the block are attributed to `attribution`."""
    reset = _current.set(attribution)
    try:
        yield
    finally:
        _current.reset(reset)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (containers)
        return f"uid {os.getuid()}"


def current_attribution(msp_id: str) -> Attribution:
    """Who writes for `msp_id` now: the context's actor, or the process's operator."""
    attribution = _current.get()
    if attribution is not None and attribution.msp_id == msp_id:
        return attribution
    return Attribution(
        msp_id=msp_id,
        user=f"os:{_os_user()}",
        role="",
        location="",
        origin=f"process {os.getpid()} on {socket.gethostname()}",
    )
