"""Only the user gets in, and nothing a client sends gets a traceback or a hang: the
secret as bearer, this proxy's own Host names, bounded bodies (decoded too), and the
backend's error shapes for what is malformed or unknown."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from backports import zstd
from proxy_rig import ProxyRig, cli_body, json_bytes, serve_proxy

from multicodex.proxy.routes import ProxyLimits
from multicodex.proxy.security import SECRET_FILE

SMALL_BODY_LIMIT = 64 * 1024


@pytest.fixture
async def small(tmp_path: Path) -> AsyncIterator[ProxyRig]:
    async with serve_proxy(tmp_path, ProxyLimits(max_body_bytes=SMALL_BODY_LIMIT)) as served:
        served.add("alice@example.com")
        yield served


async def post(rig: ProxyRig, content: bytes, **headers: str) -> tuple[int, dict[str, object]]:
    response = await rig.http.post(
        f"{rig.url}/codex/responses", content=content, headers={**rig.auth, **headers}
    )
    return response.status_code, response.json()


async def test_no_secret_and_a_wrong_bearer_are_refused(rig: ProxyRig) -> None:
    rig.add("alice@example.com")
    url = f"{rig.url}/codex/responses"
    body = json_bytes(cli_body("hi", "t"))
    for headers in ({}, {"Authorization": "Bearer not-the-secret"}, {"Authorization": "Basic x"}):
        response = await rig.http.post(url, content=body, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"
    usage = await rig.http.get(f"{rig.url}/wham/usage")
    assert usage.status_code == 401
    assert rig.upstream_turns() == []


async def test_a_foreign_host_is_refused_even_with_the_secret(rig: ProxyRig) -> None:
    rig.add("alice@example.com")
    for host in ("evil.example:80", f"evil.example:{rig.proxy.port}", "127.0.0.1:1"):
        response = await rig.http.get(f"{rig.url}/wham/usage", headers={**rig.auth, "Host": host})
        assert response.status_code == 403
        assert "127.0.0.1 or localhost" in response.json()["error"]["message"]
    named = await rig.http.get(
        f"{rig.url}/wham/usage", headers={**rig.auth, "Host": f"localhost:{rig.proxy.port}"}
    )
    assert named.status_code == 200


async def test_forwarding_headers_do_not_change_who_the_client_is(rig: ProxyRig) -> None:
    # The peer is on this machine (the proxy listens on 127.0.0.1 only): a local tool that
    # adds X-Forwarded-For is still a loopback client, and no header can make one.
    rig.add("alice@example.com")
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    response = await rig.http.get(f"{rig.url}/wham/usage", headers={**rig.auth, **forwarded})
    assert response.status_code == 200


async def test_the_secret_is_stored_once_0600_beside_the_store(rig: ProxyRig) -> None:
    path = rig.app.store.home / SECRET_FILE
    assert path.read_text().strip() == rig.proxy.secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(rig.proxy.secret) >= 40


async def test_an_oversized_body_is_413(small: ProxyRig) -> None:
    status, body = await post(small, b"x" * (SMALL_BODY_LIMIT + 1))
    assert status == 413
    assert "error" in body


async def test_a_zstd_bomb_is_413_without_decoding_it_whole(small: ProxyRig) -> None:
    bomb = zstd.compress(b" " * (512 * 1024 * 1024))  # about 16 kB on the wire
    assert len(bomb) < SMALL_BODY_LIMIT
    status, _ = await post(small, bomb, **{"content-encoding": "zstd"})
    assert status == 413
    assert small.upstream_turns() == []


async def test_malformed_bodies_are_the_backends_400(small: ProxyRig) -> None:
    cases = [
        (b"{not json", {}),
        (b"[1, 2]", {}),
        (json_bytes({"model": "gpt-5.5", "input": "text"}), {}),
        (json_bytes({"input": []}), {}),
        (b"\x28\xb5\x2f\xfd broken", {"content-encoding": "zstd"}),
        (b"plain", {"content-encoding": "br"}),
    ]
    for content, headers in cases:
        status, body = await post(small, content, **headers)
        assert status == 400, content
        assert body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert small.upstream_turns() == []


async def test_unknown_paths_plugins_and_the_websocket_upgrade(rig: ProxyRig) -> None:
    for path in ("/nothing/here", "/wham/settings/user", "/ps/plugins/installed"):
        response = await rig.http.get(f"{rig.url}{path}", headers=rig.auth)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
    upgrade = await rig.http.get(
        f"{rig.url}/codex/responses",
        headers={**rig.auth, "Connection": "Upgrade", "Upgrade": "websocket"},
    )
    assert upgrade.status_code == 426
    wrong_method = await rig.http.put(f"{rig.url}/codex/responses", headers=rig.auth)
    assert wrong_method.status_code == 404
