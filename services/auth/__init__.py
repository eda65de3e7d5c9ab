"""API users: tokens bound to one organization and role, stored only as hashes."""

from services.auth.tokens import AuthError, authenticate, create_token, revoke_token

__all__ = ["AuthError", "authenticate", "create_token", "revoke_token"]
