"""A settable clock for the demo: the world is built event by event along a simulated timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class SimulatedClock:
    """Returns `now`, then nudges it by `step` so every transaction gets a distinct, later time.

    The scenario moves it forward with `move_to`; it never goes back, so ledger timestamps stay
    ordered even when two scenario steps are scheduled for the same moment.
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    step: timedelta = timedelta(milliseconds=1)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def set(self, moment: datetime) -> None:
        """Put the clock at `moment`, even backwards (only before anything was recorded)."""
        self.now = moment

    def move_to(self, moment: datetime) -> None:
        """Jump forward to `moment` (a moment in the past of `now` is ignored)."""
        self.now = max(self.now, moment)
