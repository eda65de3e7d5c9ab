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


@dataclass(frozen=True)
class Settings:
    """Where PharmaTrace keeps its data and which ledger it talks to.

    Environment: PHARMATRACE_DATA_DIR, PHARMATRACE_DATABASE_URL, PHARMATRACE_LEDGER,
    PHARMATRACE_LEDGER_SYNC (full: survive power cuts, the default; normal: survive killed
    processes only, faster), PHARMATRACE_MAX_BODY_BYTES.
    """

    data_dir: Path = field(default_factory=lambda: Path(".pharmatrace/data"))
    database_url: str = ""
    ledger: str = "embedded"
    ledger_sync: str = "full"
    max_body_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        if self.ledger not in ("embedded",):
            raise ConfigError(
                f"PHARMATRACE_LEDGER={self.ledger!r} is not supported yet; use 'embedded'."
            )
        if self.ledger_sync not in ("full", "normal"):
            raise ConfigError("PHARMATRACE_LEDGER_SYNC must be 'full' or 'normal'.")
        if self.max_body_bytes < 1024:
            raise ConfigError("PHARMATRACE_MAX_BODY_BYTES must be at least 1024.")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {
            "data_dir": Path(env.get("PHARMATRACE_DATA_DIR", ".pharmatrace/data")),
            "database_url": env.get("PHARMATRACE_DATABASE_URL", ""),
            "ledger": env.get("PHARMATRACE_LEDGER", "embedded"),
            "ledger_sync": env.get("PHARMATRACE_LEDGER_SYNC", "full"),
            "max_body_bytes": _integer(env, "PHARMATRACE_MAX_BODY_BYTES", 1_000_000),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]  # values are typed per key above

    @property
    def read_model_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'readmodel.sqlite'}"

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "ledger.sqlite"

    @property
    def msp_dir(self) -> Path:
        return self.data_dir / "msp"

    @property
    def serial_tree_dir(self) -> Path:
        return self.data_dir / "serials"
