"""``verify``'s network checks: the authorization server and the Codex backend answer.

Each is one GET that spends nothing and carries no token: the authorization server's
OpenID configuration, and the backend's usage endpoint, which answers 401 without a token.
Any HTTP answer proves the server is reachable; a 5xx is a warning (it is there but
failing); no answer at all fails the check with the address and what to check.
"""

from __future__ import annotations

import asyncio

import httpx2

from multicodex.config import AUTH_URL_ENV, BACKEND_URL_ENV, Endpoints
from multicodex.neterrors import describe_transport_error
from multicodex.protocol import CheckStatus, VerifyCheck

PROBE_SECONDS = 10.0


async def reach_checks(http: httpx2.AsyncClient, endpoints: Endpoints) -> list[VerifyCheck]:
    """Both probes at once, in a stable order."""
    auth, backend = await asyncio.gather(
        _probe(
            http,
            "auth_server",
            "authorization server reachable",
            f"{endpoints.auth_url}/.well-known/openid-configuration",
            f"--auth-url or {AUTH_URL_ENV}",
        ),
        _probe(
            http,
            "backend",
            "Codex backend reachable",
            endpoints.usage_url,
            f"--backend-url or {BACKEND_URL_ENV}",
        ),
    )
    return [auth, backend]


async def _probe(
    http: httpx2.AsyncClient, name: str, label: str, url: str, setting: str
) -> VerifyCheck:
    try:
        response = await http.get(url, timeout=PROBE_SECONDS, follow_redirects=False)
    except httpx2.HTTPError as exc:
        detail = (
            f"no answer from {url}: {describe_transport_error(exc)}; check the network, "
            f"a proxy or firewall, and the address ({setting})"
        )
        return _check(name, label, "fail", detail)
    status: CheckStatus = "warn" if response.status_code >= 500 else "pass"
    detail = f"{url} answered (HTTP {response.status_code})"
    if status == "warn":
        detail += "; it is reachable but failing, try again later"
    return _check(name, label, status, detail)


def _check(name: str, label: str, status: CheckStatus, detail: str) -> VerifyCheck:
    return VerifyCheck(name=name, label=label, status=status, detail=detail)
