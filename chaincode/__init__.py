"""The PharmaTrace smart contract: the single source of the business rules.

Pure and deterministic Python. It talks to the ledger only through the `ChaincodeStub` protocol
(`chaincode.stub`), so the same code runs inside the embedded ledger (services.ledger.embedded) and
as a chaincode service behind a real Fabric peer. Time comes from the transaction timestamp, JSON is
canonical, and nothing here touches the clock, randomness, the network or the file system.
"""

from chaincode.contract import PharmaTraceContract
from chaincode.errors import ContractError, ErrorCode

__all__ = ["ContractError", "ErrorCode", "PharmaTraceContract"]
