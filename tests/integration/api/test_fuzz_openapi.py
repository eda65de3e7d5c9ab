"""Schemathesis against the app's own OpenAPI description, authenticated as every role.

For generated requests, valid and invalid alike, every answer must be: not a 5xx, a status the
operation documents, of a content type it documents, with a body and headers matching the
documented schema. Requests go through the ASGI transport (no server, no sockets), against one
small network per module: writes that succeed pile up across examples, as they would in use.

Bounded and repeatable: a fixed number of examples per operation, derandomized (same cases on
every run, so a CI failure reproduces locally). Set PHARMATRACE_FUZZ_EXAMPLES for a longer hunt.

File downloads (PDF, PNG, CSV, EPCIS JSON) are checked like the rest: their routes document
their content types. Only the notification stream is left out (see `api_schema`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from services.api import create_app
from tests.integration.api.support import ACTORS, tokens_for
from tests.support.network import SmallNetwork, build_small_network

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES = int(os.environ.get("PHARMATRACE_FUZZ_EXAMPLES", "8"))

CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def fuzz_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallNetwork]:
    net = build_small_network(Path(tmp_path_factory.mktemp("fuzz")) / "data")
    # Anonymous requests share one address bucket; unlimited, each reaches authentication and
    # its 401 is checked (the limiter has tests of its own, and 429 is documented anyway).
    net.rt.settings = replace(net.rt.settings, rate_limit_anonymous=0)
    yield net
    net.rt.close()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_network: SmallNetwork) -> FastAPI:
    return create_app(fuzz_network.rt)


@pytest.fixture(scope="module")
def fuzz_tokens(fuzz_network: SmallNetwork) -> dict[str, str]:
    return tokens_for(fuzz_network)


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> Any:
    # The notification stream never ends by design (its own tests: tests/integration/notifications).
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    return schema.exclude(operation_id="stream_notifications")


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


# Valid requests as every actor; invalid ones as two (most stop at validation, whoever sends).
RUNS = [
    *((role, GenerationMode.POSITIVE) for role in (*ACTORS, "anonymous")),
    ("maker", GenerationMode.NEGATIVE),
    ("pharmacy_a", GenerationMode.NEGATIVE),
]


@pytest.mark.parametrize(("role", "mode"), RUNS, ids=[f"{r}-{m.value}" for r, m in RUNS])
def test_every_answer_is_documented_and_never_a_server_error(
    role: str, mode: GenerationMode, api_schema: Any, fuzz_tokens: dict[str, str]
) -> None:
    """As one actor of the small network, or anonymous (every route must then answer 401);
    the failures of all operations are reported together."""
    headers = {"Authorization": f"Bearer {fuzz_tokens[role]}"} if role in fuzz_tokens else {}
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            _fuzz(operation, mode, headers)
        except Unsatisfiable:  # no parameters or body: nothing to make invalid
            assert mode is GenerationMode.NEGATIVE, operation.label
        except FailureGroup as exc:  # failed checks: collect, report all operations at once
            failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
