"""Browser login's loopback callback, exercised with real sockets (no token endpoint needed).

The token endpoint is pointed at a closed port: none of these paths reach a code exchange.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from multicodex.auth.callback import MAX_CONNECTIONS, CallbackReply, LoopbackCallbackServer
from multicodex.auth.pkce_login import (
    DEFAULT_PORTS,
    BrowserLogin,
    CallbackPortsBusy,
    LoginCancelled,
    LoginError,
    LoginTimeout,
)
from multicodex.config import Endpoints
from support.idle_clients import IdleClients


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(timeout=30.0) as client:
        yield client


@pytest.fixture
def endpoints(free_loopback_ports: Callable[[int], list[int]]) -> Endpoints:
    (dead,) = free_loopback_ports(1)
    return Endpoints(auth_url=f"http://127.0.0.1:{dead}")


@pytest.fixture
def idle_clients() -> Iterator[IdleClients]:
    clients = IdleClients()
    yield clients
    clients.close()


def _state(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def _callback(port: int) -> str:
    return f"http://127.0.0.1:{port}/auth/callback"


async def test_default_ports_are_the_allow_listed_pair(
    endpoints: Endpoints, http: httpx2.AsyncClient
) -> None:
    assert DEFAULT_PORTS == (1455, 1457)
    login = BrowserLogin(endpoints, http)
    url = await login.start(listen=False)
    assert parse_qs(urlsplit(url).query)["redirect_uri"] == ["http://localhost:1455/auth/callback"]
    login.cancel()


async def test_redirect_uri_names_localhost_and_the_bound_port(
    endpoints: Endpoints, http: httpx2.AsyncClient, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    async with BrowserLogin(endpoints, http, ports=free_loopback_ports(2)) as login:
        url = await login.start()
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        assert redirect == f"http://localhost:{login.port}/auth/callback"
        assert urlsplit(url).path == "/oauth/authorize"


async def test_first_port_busy_falls_back_to_the_second(
    endpoints: Endpoints,
    http: httpx2.AsyncClient,
    free_loopback_ports: Callable[[int], list[int]],
    occupy_port: Callable[[int], Any],
) -> None:
    first, second = free_loopback_ports(2)
    with occupy_port(first):
        async with BrowserLogin(endpoints, http, ports=(first, second)) as login:
            url = await login.start()
            assert login.port == second
            assert f"localhost%3A{second}" in url
            answer = await http.get(f"http://127.0.0.1:{second}/elsewhere")
            assert answer.status_code == 404


async def test_both_ports_busy_is_a_clear_error(
    endpoints: Endpoints,
    http: httpx2.AsyncClient,
    free_loopback_ports: Callable[[int], list[int]],
    occupy_port: Callable[[int], Any],
) -> None:
    first, second = free_loopback_ports(2)
    with occupy_port(first), occupy_port(second):
        login = BrowserLogin(endpoints, http, ports=(first, second))
        with pytest.raises(CallbackPortsBusy) as info:
            await login.start()
    message = str(info.value)
    assert str(first) in message
    assert str(second) in message
    assert "paste" in message
    # The same login can still go on without listening, finished by pasting.
    url = await login.start(listen=False)
    assert login.port == first
    assert f"localhost%3A{first}" in url
    login.cancel()


async def test_stray_hits_are_answered_and_the_login_keeps_waiting(
    endpoints: Endpoints, http: httpx2.AsyncClient, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    login = BrowserLogin(endpoints, http, ports=free_loopback_ports(1))
    url = await login.start()
    waiting = asyncio.create_task(login.wait())
    stray = [
        await http.get(_callback(login.port), params={"code": "c-1", "state": "not-the-state"}),
        await http.get(_callback(login.port), params={"code": "c-1"}),
        await http.get(_callback(login.port)),
        await http.get(_callback(login.port), params={"error": "access_denied", "state": "other"}),
        await http.get(_callback(login.port), params={"error": "access_denied"}),
        await http.get(f"http://127.0.0.1:{login.port}/favicon.ico"),
    ]
    # The real answer, here a refusal with this login's state, still reaches the login.
    await http.get(_callback(login.port), params={"error": "access_denied", "state": _state(url)})

    assert [page.status_code for page in stray] == [400, 400, 400, 400, 400, 404]
    assert all("still waiting" in page.text for page in stray[:5])
    with pytest.raises(LoginError, match=r"refused \(access_denied\)"):
        await asyncio.wait_for(waiting, 30)


async def test_this_logins_state_without_a_code_ends_the_login(
    endpoints: Endpoints,
    http: httpx2.AsyncClient,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(endpoints, http, ports=free_loopback_ports(1))
    url = await login.start()
    answer = await http.get(_callback(login.port), params={"state": _state(url)})
    assert answer.status_code == 400
    assert "Missing authorization code" in answer.text
    with pytest.raises(LoginError, match="Missing authorization code"):
        await login.wait()
    assert port_closed(login.port)


async def test_missing_codex_entitlement_is_explained(
    endpoints: Endpoints, http: httpx2.AsyncClient, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    login = BrowserLogin(endpoints, http, ports=free_loopback_ports(1))
    url = await login.start()
    answer = await http.get(
        _callback(login.port),
        params={
            "error": "access_denied",
            "error_description": "missing_codex_entitlement",
            "state": _state(url),
        },
    )
    assert "Codex is not enabled for this workspace" in answer.text
    with pytest.raises(LoginError, match="Codex is not enabled for this workspace"):
        await login.wait()


async def test_other_authorization_errors_are_reported(
    endpoints: Endpoints, http: httpx2.AsyncClient, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    login = BrowserLogin(endpoints, http, ports=free_loopback_ports(1))
    url = await login.start()
    await http.get(
        _callback(login.port),
        params={
            "error": "access_denied",
            "error_description": "user said no",
            "state": _state(url),
        },
    )
    with pytest.raises(LoginError, match=r"refused \(access_denied\): user said no"):
        await login.wait()


async def test_timeout_raises_login_timeout_and_releases_the_port(
    endpoints: Endpoints,
    http: httpx2.AsyncClient,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(endpoints, http, ports=free_loopback_ports(1), timeout=0.3)
    await login.start()
    with pytest.raises(LoginTimeout, match=r"within 0\.3 seconds"):
        await login.wait()
    assert port_closed(login.port)


async def test_timeout_closes_the_port_even_if_nobody_waits(
    endpoints: Endpoints,
    http: httpx2.AsyncClient,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(endpoints, http, ports=free_loopback_ports(1), timeout=0.2)
    await login.start()
    for _ in range(200):
        if port_closed(login.port):
            break
        await asyncio.sleep(0.05)
    assert port_closed(login.port)
    with pytest.raises(LoginTimeout):
        await login.wait()


async def test_cancel_ends_a_pending_wait(
    endpoints: Endpoints,
    http: httpx2.AsyncClient,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(endpoints, http, ports=free_loopback_ports(1))
    await login.start()
    waiting = asyncio.create_task(login.wait())
    await asyncio.sleep(0)
    login.cancel()
    with pytest.raises(LoginCancelled):
        await asyncio.wait_for(waiting, 30)
    assert port_closed(login.port)


async def test_cancelling_the_waiting_task_cancels_the_login(
    endpoints: Endpoints,
    http: httpx2.AsyncClient,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(endpoints, http, ports=free_loopback_ports(1))
    await login.start()
    waiting = asyncio.create_task(login.wait())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert port_closed(login.port)
    with pytest.raises(LoginCancelled):
        await login.wait()


async def test_pasted_input_without_a_code_or_with_a_foreign_state_keeps_the_login_open(
    endpoints: Endpoints, http: httpx2.AsyncClient, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    async with BrowserLogin(endpoints, http, ports=free_loopback_ports(1)) as login:
        await login.start()
        with pytest.raises(LoginError, match="Missing authorization code"):
            await login.complete_with_pasted("   ")
        with pytest.raises(LoginError, match="State mismatch"):
            await login.complete_with_pasted(
                f"http://localhost:{login.port}/auth/callback?code=abc&state=other"
            )
        answer = await http.get(f"http://127.0.0.1:{login.port}/favicon.ico")
        assert answer.status_code == 404


async def test_a_login_cannot_be_started_twice(
    endpoints: Endpoints, http: httpx2.AsyncClient, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    async with BrowserLogin(endpoints, http, ports=free_loopback_ports(1)) as login:
        await login.start()
        with pytest.raises(RuntimeError):
            await login.start()


# --- the listener's bounds --------------------------------------------------------------


async def _signed_in(_params: dict[str, str]) -> CallbackReply:
    return CallbackReply(title="Signed in", message="ok")


async def test_silent_connections_beyond_the_cap_are_closed_and_a_request_is_still_served(
    http: httpx2.AsyncClient,
    free_loopback_ports: Callable[[int], list[int]],
    idle_clients: IdleClients,
) -> None:
    # A request timeout far beyond the wait below: only the cap can close these.
    server = LoopbackCallbackServer(_signed_in, ports=free_loopback_ports(1), request_timeout=3600)
    port = await server.start()
    try:
        await idle_clients.open(port, 200)
        closed = await idle_clients.wait_closed_by_server(200 - MAX_CONNECTIONS)
        held = server.open_connections
        answer = await http.get(_callback(port))
    finally:
        await server.aclose()

    assert closed >= 200 - MAX_CONNECTIONS
    assert held <= MAX_CONNECTIONS
    assert answer.status_code == 200
    assert "Signed in" in answer.text


async def test_a_request_head_that_never_ends_is_cut_off(
    free_loopback_ports: Callable[[int], list[int]],
) -> None:
    server = LoopbackCallbackServer(_signed_in, ports=free_loopback_ports(1), request_timeout=0.2)
    port = await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /auth/callback?state=x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        held = server.open_connections
    finally:
        await server.aclose()

    assert answer == b""
    assert held == 0


async def test_connections_being_answered_are_kept_and_a_newcomer_is_turned_away(
    free_loopback_ports: Callable[[int], list[int]],
) -> None:
    answering = asyncio.Semaphore(0)
    release = asyncio.Event()

    async def slow(_params: dict[str, str]) -> CallbackReply:
        answering.release()
        await release.wait()
        return CallbackReply(title="Signed in", message="ok")

    server = LoopbackCallbackServer(slow, ports=free_loopback_ports(1), max_connections=2)
    port = await server.start()
    request = b"GET /auth/callback HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    try:
        busy = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        for _reader, writer in busy:
            writer.write(request)
        for _ in busy:
            await asyncio.wait_for(answering.acquire(), 30)
        late_reader, late_writer = await asyncio.open_connection("127.0.0.1", port)
        turned_away = await asyncio.wait_for(late_reader.read(), 30)
        release.set()
        answers = [await asyncio.wait_for(reader.read(), 30) for reader, _writer in busy]
        for _reader, writer in [*busy, (late_reader, late_writer)]:
            writer.close()
    finally:
        await server.aclose()

    assert turned_away == b""
    assert all(answer.startswith(b"HTTP/1.1 200 OK\r\n") for answer in answers)
