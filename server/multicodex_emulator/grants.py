"""What the auth server remembers: refresh-token chains, access tokens, codes, device codes.

No HTTP here and no locking: `EmulatorState` calls these under its lock. Every method
takes `now` (emulator seconds) so time travel applies to tokens too.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Literal

from multicodex_emulator import jwt
from multicodex_emulator.claims import TOKEN_SCOPES, Identity, access_claims, id_claims
from multicodex_emulator.models import TokenResponse

RefreshState = Literal["current", "used", "revoked", "expired"]
AccessFailureKind = Literal["malformed", "expired", "revoked", "deactivated"]
DEVICE_CODE_TTL = 15 * 60


@dataclass
class RefreshRecord:
    account_id: str
    generation: int
    issued_at: float
    state: RefreshState = "current"


@dataclass
class AccessRecord:
    account_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class CodeRecord:
    account_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    expires_at: float
    used: bool = False


@dataclass
class DeviceRecord:
    device_auth_id: str
    user_code: str
    expires_at: float
    polls: int = 0
    approved_account: str | None = None
    consumed: bool = False


@dataclass(frozen=True)
class AccessGrant:
    account_id: str
    token_id: str


@dataclass(frozen=True)
class AccessFailure:
    kind: AccessFailureKind
    account_id: str | None = None


@dataclass(frozen=True)
class DeviceApproval:
    account_id: str
    authorization_code: str
    code_challenge: str
    code_verifier: str


@dataclass
class TokenAuthority:
    """Issues and checks tokens. Refresh tokens are single-use and rotate per generation."""

    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    refresh_tokens: dict[str, RefreshRecord] = field(default_factory=dict)
    access_tokens: dict[str, AccessRecord] = field(default_factory=dict)
    codes: dict[str, CodeRecord] = field(default_factory=dict)
    devices: dict[str, DeviceRecord] = field(default_factory=dict)

    # --- issuing -------------------------------------------------------------------------

    def mint(self, who: Identity, generation: int, now: float, lifetime: int) -> TokenResponse:
        issued_at = int(now)
        access_jti = secrets.token_hex(16)
        access = jwt.encode(access_claims(who, access_jti, issued_at, lifetime), self.secret)
        id_token = jwt.encode(
            id_claims(who, secrets.token_hex(16), issued_at, lifetime), self.secret
        )
        refresh = f"rt_{secrets.token_urlsafe(48)}"
        self.access_tokens[access_jti] = AccessRecord(who.account_id, float(issued_at + lifetime))
        self.refresh_tokens[refresh] = RefreshRecord(who.account_id, generation, now)
        return TokenResponse(
            id_token=id_token,
            access_token=access,
            refresh_token=refresh,
            expires_in=lifetime,
            scope=" ".join(TOKEN_SCOPES),
        )

    # --- access tokens -------------------------------------------------------------------

    def check_access(self, token: str, now: float) -> AccessGrant | AccessFailure:
        payload = jwt.decode_verified(token, self.secret)
        jti = payload.get("jti") if payload else None
        record = self.access_tokens.get(jti) if isinstance(jti, str) else None
        if record is None or jti is None:
            return AccessFailure("malformed")
        if record.revoked:
            return AccessFailure("revoked", record.account_id)
        if now >= record.expires_at:
            return AccessFailure("expired", record.account_id)
        return AccessGrant(record.account_id, jti)

    def identify_id_token(self, token: str) -> str | None:
        """Account of an id_token this authority signed (for the token-exchange grant)."""
        payload = jwt.decode_verified(token, self.secret)
        auth = payload.get("https://api.openai.com/auth") if payload else None
        account = auth.get("chatgpt_account_id") if isinstance(auth, dict) else None
        return account if isinstance(account, str) else None

    def expire_access(self, account_id: str, now: float) -> int:
        records = self._access_of(account_id)
        for record in records:
            record.expires_at = min(record.expires_at, now)
        return len(records)

    def revoke_access(self, account_id: str) -> int:
        records = self._access_of(account_id)
        for record in records:
            record.revoked = True
        return len(records)

    def _access_of(self, account_id: str) -> list[AccessRecord]:
        return [r for r in self.access_tokens.values() if r.account_id == account_id]

    # --- refresh tokens ------------------------------------------------------------------

    def refresh_record(self, token: str) -> RefreshRecord | None:
        return self.refresh_tokens.get(token)

    def age_out(self, record: RefreshRecord, now: float, lifetime: float | None) -> None:
        if (
            record.state == "current"
            and lifetime is not None
            and now - record.issued_at >= lifetime
        ):
            record.state = "expired"

    def set_refresh_state(self, account_id: str, state: RefreshState) -> int:
        """Move every live refresh token of the account to `state`."""
        live = [
            r
            for r in self.refresh_tokens.values()
            if r.account_id == account_id and r.state == "current"
        ]
        for record in live:
            record.state = state
        return len(live)

    def revoke_token(self, token: str) -> str | None:
        """RFC 7009 revoke of a refresh or access token; returns the account, if known."""
        record = self.refresh_tokens.get(token)
        if record is not None:
            if record.state == "current":
                record.state = "revoked"
            return record.account_id
        payload = jwt.decode_verified(token, self.secret)
        jti = payload.get("jti") if payload else None
        access = self.access_tokens.get(jti) if isinstance(jti, str) else None
        if access is None:
            return None
        access.revoked = True
        return access.account_id

    # --- authorization codes -------------------------------------------------------------

    def new_code(
        self, account_id: str, client_id: str, redirect_uri: str, challenge: str, expires_at: float
    ) -> str:
        code = f"ac_{secrets.token_urlsafe(32)}"
        self.codes[code] = CodeRecord(account_id, client_id, redirect_uri, challenge, expires_at)
        return code

    def redeem_code(
        self, code: str, client_id: str, redirect_uri: str, verifier: str, now: float
    ) -> str:
        """The account the code was issued for; raises ValueError with the reason otherwise.

        The code is spent by any redemption attempt that names it, valid or not.
        """
        record = self.codes.get(code)
        if record is None:
            raise ValueError("Invalid authorization code")
        if record.used:
            raise ValueError("Authorization code has already been used")
        record.used = True
        if now >= record.expires_at:
            raise ValueError("Authorization code has expired")
        if record.client_id != client_id:
            raise ValueError("Authorization code was issued to another client")
        if record.redirect_uri != redirect_uri:
            raise ValueError("redirect_uri does not match the authorization request")
        if not secrets.compare_digest(pkce_challenge(verifier), record.code_challenge):
            raise ValueError("code_verifier does not match the code_challenge")
        return record.account_id

    # --- device codes --------------------------------------------------------------------

    def new_device(self, now: float) -> DeviceRecord:
        raw = secrets.token_hex(4).upper()
        record = DeviceRecord(
            device_auth_id=f"deviceauth_{secrets.token_hex(12)}",
            user_code=f"{raw[:4]}-{raw[4:]}",
            expires_at=now + DEVICE_CODE_TTL,
        )
        self.devices[record.device_auth_id] = record
        return record

    def device_by_user_code(self, user_code: str) -> DeviceRecord | None:
        wanted = user_code.strip().upper()
        return next((d for d in self.devices.values() if d.user_code == wanted), None)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(64)
    return verifier, pkce_challenge(verifier)
