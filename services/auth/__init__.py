"""API users: tokens bound to one organization and role, stored only as hashes, expiring and
revocable."""

from services.auth.admin import TokenInfo, list_tokens, revoke_token_id, revoke_user
from services.auth.tokens import AuthError, authenticate, create_token, revoke_token, token_id

__all__ = [
    "AuthError",
    "TokenInfo",
    "authenticate",
    "create_token",
    "list_tokens",
    "revoke_token",
    "revoke_token_id",
    "revoke_user",
    "token_id",
]
