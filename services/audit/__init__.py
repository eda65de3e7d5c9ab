"""Who did what, where and when: the off-chain audit trail of every ledger write.

The contract records which organization signed each transaction (on chain, signed); the person
and the premises are known only to the service, so `Runtime.submit`, the single path of writes,
records them here (services.audit.record) next to the transaction id. Verifications are already
recorded with the same attribution as scans. `services.audit.query` reads both for regulators.
"""

from services.audit.context import Attribution, attributed, current_attribution
from services.audit.query import AuditItem, AuditQuery, audit_trail

__all__ = [
    "Attribution",
    "AuditItem",
    "AuditQuery",
    "attributed",
    "audit_trail",
    "current_attribution",
]
