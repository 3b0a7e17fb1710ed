"""The claim layout of ChatGPT id and access tokens (codex-wire.md §2, E1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from multicodex.config import CLIENT_ID

ISSUER = "https://auth.openai.com"
API_AUDIENCE = "https://api.openai.com/v1"
AUTH_NAMESPACE = "https://api.openai.com/auth"
PROFILE_NAMESPACE = "https://api.openai.com/profile"
TOKEN_SCOPES = ("openid", "profile", "email", "offline_access")
ID_TOKEN_MAX_LIFETIME = 3600


@dataclass(frozen=True)
class Identity:
    account_id: str
    user_id: str
    email: str
    plan: str


def access_claims(who: Identity, jti: str, issued_at: int, lifetime: int) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "aud": [API_AUDIENCE],
        "client_id": CLIENT_ID,
        "scp": list(TOKEN_SCOPES),
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "jti": jti,
        "sub": _subject(who),
        AUTH_NAMESPACE: {
            "chatgpt_account_id": who.account_id,
            "chatgpt_plan_type": who.plan,
            "chatgpt_user_id": who.user_id,
            "chatgpt_account_user_id": f"{who.user_id}__{who.account_id}",
            "user_id": who.user_id,
            "poid": f"org-{who.account_id[:8]}",
        },
        PROFILE_NAMESPACE: {"email": who.email, "email_verified": True},
        "https://api.openai.com/mfa": {"required": "no"},
    }


def id_claims(who: Identity, jti: str, issued_at: int, lifetime: int) -> dict[str, Any]:
    org_id = f"org-{who.account_id[:8]}"
    return {
        "iss": ISSUER,
        "aud": [CLIENT_ID],
        "iat": issued_at,
        "exp": issued_at + min(lifetime, ID_TOKEN_MAX_LIFETIME),
        "auth_time": issued_at,
        "jti": jti,
        "sid": f"sess_{jti[:16]}",
        "sub": _subject(who),
        "email": who.email,
        "email_verified": True,
        "auth_provider": "password",
        AUTH_NAMESPACE: {
            "chatgpt_account_id": who.account_id,
            "chatgpt_plan_type": who.plan,
            "chatgpt_user_id": who.user_id,
            "user_id": who.user_id,
            "chatgpt_subscription_active_start": issued_at - 86400,
            "chatgpt_subscription_active_until": issued_at + 30 * 86400,
            "chatgpt_subscription_last_checked": issued_at,
            "groups": [],
            "organizations": [
                {"id": org_id, "is_default": True, "role": "owner", "title": "Personal"}
            ],
        },
    }


def _subject(who: Identity) -> str:
    return f"auth0|{who.user_id}"
