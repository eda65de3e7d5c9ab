"""The organizations a report names: display names, roles, premises (GLNs) and coordinates.

Coordinates come from the organizations' ledger records (`latitude`/`longitude`, optional at
registration). The read model keeps one GLN per organization (its main premises); a scan or a
decommissioning at another registered premises is placed at its organization's coordinates, and
the GLN itself is always shown as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from services.readmodel.tables import Organization


@dataclass(frozen=True, slots=True)
class Party:
    msp_id: str
    name: str
    role: str
    gln: str
    country: str
    address: str
    latitude: float | None
    longitude: float | None

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Parties:
    """Every organization of the read model, by MSP id and by GLN."""

    def __init__(self, organizations: list[Organization]) -> None:
        self.by_msp = {
            o.msp_id: Party(
                o.msp_id, o.name, o.role, o.gln, o.country, o.address, o.latitude, o.longitude
            )
            for o in organizations
        }
        self.by_gln = {p.gln: p for p in self.by_msp.values()}

    @classmethod
    def load(cls, session: Session) -> Parties:
        return cls(list(session.exec(select(Organization)).all()))

    def get(self, msp_id: str) -> Party | None:
        return self.by_msp.get(msp_id)

    def name(self, msp_id: str) -> str:
        party = self.by_msp.get(msp_id)
        return party.name if party else msp_id

    def place_of(self, msp_id: str) -> str:
        party = self.by_msp.get(msp_id)
        return f"{party.name} · GLN {party.gln}" if party else msp_id

    def place(self, gln: str, msp_id: str) -> str:
        """Premises `gln` (or the organization's main one when none was recorded)."""
        if not gln:
            return self.place_of(msp_id)
        party = self.by_gln.get(gln) or self.by_msp.get(msp_id)
        return f"{party.name} · GLN {gln}" if party else f"GLN {gln}"
