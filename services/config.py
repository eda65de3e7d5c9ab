"""One settings object, read from the environment once, failing fast on nonsense."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A setting is missing or invalid."""


def _integer(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from None


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "on", "yes"):
        return True
    if raw.lower() in ("0", "false", "off", "no"):
        return False
    raise ConfigError(f"{name}={raw!r} must be on or off.")


@dataclass(frozen=True)
class Settings:
    """Where PharmaTrace keeps its data and which ledger it talks to.

    Environment: PHARMATRACE_DATA_DIR, PHARMATRACE_DATABASE_URL, PHARMATRACE_LEDGER,
    PHARMATRACE_LEDGER_SYNC (full: survive power cuts, the default; normal: survive killed
    processes only, faster), PHARMATRACE_MAX_BODY_BYTES, PHARMATRACE_TOKEN_LIFETIME_DAYS (API
    tokens' default lifetime), PHARMATRACE_ORG (one organization's service: it signs only as this
    MSP ID and accepts only its users' tokens; empty: the single-process demo acting for all),
    PHARMATRACE_LEDGER_PATH (the embedded ledger file, when it is not in the data dir: several
    organizations' services sharing one ledger, each with its own data dir and keys),
    PHARMATRACE_LIVE_DETECTION (on, the default: a served app runs incremental detection in a
    background worker as blocks and scans arrive; off: only `pharmatrace detect`. CLI one-shots
    never start the worker: they would exit before it ran; the server's worker picks their scans
    and blocks up on its next tick).
    """

    data_dir: Path = field(default_factory=lambda: Path(".pharmatrace/data"))
    database_url: str = ""
    ledger: str = "embedded"
    ledger_sync: str = "full"
    max_body_bytes: int = 1_000_000
    # PHARMATRACE_MAX_JSON_DEPTH: JSON bodies nesting deeper are refused before parsing.
    max_json_depth: int = 32
    # PHARMATRACE_RATE_LIMIT / _RATE_BURST: API requests per second and at once, per token;
    # PHARMATRACE_RATE_LIMIT_ANONYMOUS: per client address without a proven token (burst: 5 s
    # of it). 0 turns a limit off. A desk scanner sends ~1 verify/s and a warehouse job a few
    # hundred at most; one worker serves ~600 verifies/s in all: the limit stops runaway
    # clients, it is not a quota. See services.api.ratelimit.
    rate_limit: int = 200
    rate_burst: int = 1000
    rate_limit_anonymous: int = 20
    token_lifetime_days: int = 90
    org: str = ""
    ledger_file: Path | None = None
    live_detection: bool = True

    def __post_init__(self) -> None:
        if self.ledger not in ("embedded",):
            raise ConfigError(
                f"PHARMATRACE_LEDGER={self.ledger!r} is not supported yet; use 'embedded'."
            )
        if self.ledger_sync not in ("full", "normal"):
            raise ConfigError("PHARMATRACE_LEDGER_SYNC must be 'full' or 'normal'.")
        if self.max_body_bytes < 1024:
            raise ConfigError("PHARMATRACE_MAX_BODY_BYTES must be at least 1024.")
        if self.max_json_depth < 2:
            raise ConfigError("PHARMATRACE_MAX_JSON_DEPTH must be at least 2.")
        if min(self.rate_limit, self.rate_limit_anonymous) < 0:
            raise ConfigError("PHARMATRACE_RATE_LIMIT(_ANONYMOUS) must be 0 (off) or more.")
        if self.rate_limit and self.rate_burst < 1:
            raise ConfigError("PHARMATRACE_RATE_BURST must be at least 1.")
        if not 1 <= self.token_lifetime_days <= 3650:
            raise ConfigError("PHARMATRACE_TOKEN_LIFETIME_DAYS must be between 1 and 3650.")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {
            "data_dir": Path(env.get("PHARMATRACE_DATA_DIR", ".pharmatrace/data")),
            "database_url": env.get("PHARMATRACE_DATABASE_URL", ""),
            "ledger": env.get("PHARMATRACE_LEDGER", "embedded"),
            "ledger_sync": env.get("PHARMATRACE_LEDGER_SYNC", "full"),
            "max_body_bytes": _integer(env, "PHARMATRACE_MAX_BODY_BYTES", 1_000_000),
            "max_json_depth": _integer(env, "PHARMATRACE_MAX_JSON_DEPTH", 32),
            "rate_limit": _integer(env, "PHARMATRACE_RATE_LIMIT", 200),
            "rate_burst": _integer(env, "PHARMATRACE_RATE_BURST", 1000),
            "rate_limit_anonymous": _integer(env, "PHARMATRACE_RATE_LIMIT_ANONYMOUS", 20),
            "live_detection": _switch(env, "PHARMATRACE_LIVE_DETECTION", True),
            "token_lifetime_days": _integer(env, "PHARMATRACE_TOKEN_LIFETIME_DAYS", 90),
            "org": env.get("PHARMATRACE_ORG", ""),
            "ledger_file": Path(env["PHARMATRACE_LEDGER_PATH"])
            if env.get("PHARMATRACE_LEDGER_PATH")
            else None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]  # values are typed per key above

    @property
    def read_model_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'readmodel.sqlite'}"

    @property
    def ledger_path(self) -> Path:
        return self.ledger_file or self.data_dir / "ledger.sqlite"

    @property
    def msp_dir(self) -> Path:
        return self.data_dir / "msp"

    @property
    def serial_tree_dir(self) -> Path:
        return self.data_dir / "serials"
