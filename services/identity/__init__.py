"""X.509 identities of the organizations, in the layout of a Fabric MSP.

Each organization has a CA and users whose certificates carry the organization's MSP ID as
subject O. The embedded ledger verifies proposals against these CAs exactly as a Fabric peer checks
an MSP, so the contract's access checks see the same identities on both ledgers.
"""

from services.identity.msp import (
    IdentityError,
    MspDirectory,
    OrgIdentity,
    copy_for_service,
    create_organization,
    is_valid_msp_id,
)

__all__ = [
    "IdentityError",
    "MspDirectory",
    "OrgIdentity",
    "copy_for_service",
    "create_organization",
    "is_valid_msp_id",
]
