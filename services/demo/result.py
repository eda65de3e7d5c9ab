"""What a built demo hands back: its organizations, users with API tokens, and sample codes.

`DemoResult.to_json` / `from_json` give the `demo.json` that `pharmatrace demo` writes next to the
data, so tools and tests can pick up tokens and codes without parsing terminal output.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DemoOrganization:
    msp_id: str
    name: str
    role: str
    gln: str
    address: str
    city: str
    country: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class DemoUser:
    """A user of one organization with its API token (shown here because it is a demo)."""

    user: str
    msp_id: str
    role: str
    token: str


@dataclass(frozen=True)
class DemoSample:
    """A pack code to scan, as whom, and the verdict the system must give."""

    label: str
    element_string: str  # what a GS1 DataMatrix carries: GS (ASCII 29) ends variable fields
    digital_link: str  # the same pack as a GS1 Digital Link URI (what a QR code carries)
    human_readable: str  # "(01)…(17)…(10)…(21)…", as printed under the code
    expected_result: str
    expected_light: str
    scan_as: str  # MSP ID of the organization that should scan it
    user: str  # the demo user of that organization


@dataclass(frozen=True)
class DemoIncident:
    """A refused write the scenario attempted on purpose (a planted problem at work)."""

    at: str
    msp_id: str
    action: str
    code: str
    error: str
    message: str


@dataclass
class DemoResult:
    started_at: str
    ended_at: str
    organizations: list[DemoOrganization] = field(default_factory=list)
    users: list[DemoUser] = field(default_factory=list)
    samples: list[DemoSample] = field(default_factory=list)
    incidents: list[DemoIncident] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def user_of(self, msp_id: str) -> DemoUser:
        return next(u for u in self.users if u.msp_id == msp_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> DemoResult:
        raw: dict[str, Any] = json.loads(text)
        return cls(
            started_at=raw["started_at"],
            ended_at=raw["ended_at"],
            organizations=[DemoOrganization(**o) for o in raw["organizations"]],
            users=[DemoUser(**u) for u in raw["users"]],
            samples=[DemoSample(**s) for s in raw["samples"]],
            incidents=[DemoIncident(**i) for i in raw["incidents"]],
            counts={str(k): int(v) for k, v in raw["counts"].items()},
        )
