"""The authorize URL carries exactly the parameters of codex-wire §1.4 and a valid PKCE pair."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

from multicodex.auth.pkce_login import build_authorize_url
from multicodex.config import CLIENT_ID, Endpoints

# RFC 7636 appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def _params(url: str) -> dict[str, str]:
    parsed = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values()), "no repeated parameters"
    return {key: values[0] for key, values in parsed.items()}


def test_authorize_url_parameters() -> None:
    endpoints = Endpoints(auth_url="https://auth.example.test")
    url = build_authorize_url(
        endpoints,
        redirect_uri="http://localhost:1455/auth/callback",
        state="state-123",
        code_verifier=RFC_VERIFIER,
        originator="codex_cli_rs",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "auth.example.test",
        "/oauth/authorize",
    )
    assert _params(url) == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://localhost:1455/auth/callback",
        "scope": "openid profile email offline_access",
        "code_challenge": RFC_CHALLENGE,
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": "state-123",
        "originator": "codex_cli_rs",
    }


def test_challenge_is_s256_of_any_verifier() -> None:
    verifier = "x" * 43 + "-._~" + "Z" * 20
    url = build_authorize_url(
        Endpoints(),
        redirect_uri="http://localhost:1457/auth/callback",
        state="s",
        code_verifier=verifier,
    )
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert _params(url)["code_challenge"] == expected.decode()


def test_workspace_restriction_and_originator_are_passed_through() -> None:
    url = build_authorize_url(
        Endpoints(),
        redirect_uri="http://localhost:1455/auth/callback",
        state="s",
        code_verifier=RFC_VERIFIER,
        originator="multicodex",
        allowed_workspace_id="ws-1,ws-2",
    )
    params = _params(url)
    assert params["allowed_workspace_id"] == "ws-1,ws-2"
    assert params["originator"] == "multicodex"
