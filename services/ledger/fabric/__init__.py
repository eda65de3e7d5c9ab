"""A small Fabric Gateway client implementing the ledger port against a Fabric v3 channel.

There is no maintained Python Fabric Gateway client, so this one is built on the official
protobuf bindings (hyperledger-fabric-protos), grpcio and cryptography, laid out like the
fabric-gateway clients, one module per step of a transaction's life::

    profile      the connection profile: peers, TLS roots, users, channel, chaincode
    identity     signing identities from cryptogen MSP folders; SerializedIdentity
    proposal     signed proposals and transaction ids
    gateway      one gRPC channel per peer, per-call deadlines
    transaction  Evaluate; Endorse → sign the prepared envelope → Submit
    commit       signed CommitStatus: the block, or the validation code that invalidated it
    events       ChaincodeEvents stream, checkpoints, reads bounded by the height
    blocks       qscc queries: height, blocks, a block's contract events
    errors       gRPC status + gateway ErrorDetails → the port's typed errors
    contract     FabricContract: evaluate / submit
    network      FabricLedger: the `Ledger` port
"""

from services.ledger.fabric.contract import FabricContract
from services.ledger.fabric.gateway import Timeouts
from services.ledger.fabric.identity import load_identity, load_msp_identity
from services.ledger.fabric.network import FabricLedger
from services.ledger.fabric.profile import ConnectionProfile, ProfileError, load_profile

__all__ = [
    "ConnectionProfile",
    "FabricContract",
    "FabricLedger",
    "ProfileError",
    "Timeouts",
    "load_identity",
    "load_msp_identity",
    "load_profile",
]
