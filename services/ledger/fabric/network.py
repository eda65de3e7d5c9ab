"""`FabricLedger`: the ledger port over a Fabric channel, through peers' Gateway services.

By default every call goes through the gateway peer of the ledger's home organization, whoever
signs (peers endorse proposals of any channel member). That gives read-your-writes: a submit
returns once CommitStatus saw the block on that peer, and the events and queries read right after
come from the same peer, so the indexer run after a submit always finds its event. With
``per_org_peers=True`` each signer's transactions go through its own organization's peer
instead (as separate services per organization would), and that guarantee is lost: another
peer may commit the block a moment later.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from services.identity import OrgIdentity
from services.ledger.fabric.contract import FabricContract
from services.ledger.fabric.events import EventReader
from services.ledger.fabric.gateway import (
    Clock,
    Connection,
    Gateways,
    StubFactory,
    Timeouts,
    utc_now,
)
from services.ledger.fabric.identity import load_user
from services.ledger.fabric.profile import ConnectionProfile, PeerEndpoint, ProfileError
from services.ledger.port import ChaincodeEvent, Checkpoint


class FabricLedger:
    """The PharmaTrace chaincode on one channel of a real Fabric network."""

    def __init__(
        self,
        profile: ConnectionProfile,
        org_msp_id: str,
        *,
        identity: OrgIdentity | None = None,
        clock: Clock = utc_now,
        timeouts: Timeouts | None = None,
        stubs: StubFactory | None = None,
        per_org_peers: bool = False,
    ) -> None:
        """Connect (lazily) as `org_msp_id`; `identity` defaults to that org's profile user.

        `stubs` replaces the gRPC connections (tests pass fakes of the Gateway stub).
        """
        self.profile = profile
        self.org_msp_id = org_msp_id
        self.clock = clock
        self.timeouts = timeouts or Timeouts()
        self.per_org_peers = per_org_peers
        self._gateways = Gateways()
        self._stubs: StubFactory = stubs or self._gateways.stub
        self._identities: dict[str, OrgIdentity] = {}
        self._lock = threading.Lock()
        home = profile.organization(org_msp_id)
        self._home_identity = identity or self.identity(org_msp_id)
        self._events = EventReader(self._connection(home.peer), self._home_identity)

    # -- port ----------------------------------------------------------------------------------
    def contract(self, signer: OrgIdentity) -> FabricContract:
        """The contract bound to `signer` (who signs every proposal made through it)."""
        return FabricContract(self._connection(self._peer_of(signer.msp_id)), signer)

    def height(self) -> int:
        """Number of committed blocks on the channel (qscc GetChainInfo)."""
        return self._events.queries.height()

    def read_events(self, after: Checkpoint | None, limit: int = 1000) -> list[ChaincodeEvent]:
        """Committed events strictly after `after`, oldest first; see `events` for checkpoints."""
        return self._events.read(after, limit)

    def events(
        self, after: Checkpoint | None, stop: threading.Event | None = None
    ) -> Iterator[ChaincodeEvent]:
        """Follow committed events after `after` until `stop` is set or the ledger closes."""
        return self._events.follow(after, stop)

    def close(self) -> None:
        self._events.close()
        self._gateways.close()

    # -- identities from the connection profile --------------------------------------------------
    def identity(self, msp_id: str) -> OrgIdentity:
        """The signing user the connection profile names for `msp_id` (loaded once)."""
        with self._lock:
            if msp_id not in self._identities:
                user = self.profile.organization(msp_id).user
                if user is None:
                    raise ProfileError(f"The connection profile names no user of {msp_id}.")
                self._identities[msp_id] = load_user(msp_id, user)
            return self._identities[msp_id]

    # -- plumbing -------------------------------------------------------------------------------
    def _peer_of(self, msp_id: str) -> PeerEndpoint:
        own = self.profile.organizations.get(msp_id) if self.per_org_peers else None
        return (own or self.profile.organization(self.org_msp_id)).peer

    def _connection(self, peer: PeerEndpoint) -> Connection:
        return Connection(
            stub=self._stubs(peer),
            channel=self.profile.channel,
            chaincode=self.profile.chaincode,
            clock=self.clock,
            timeouts=self.timeouts,
        )
