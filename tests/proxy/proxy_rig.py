"""The proxy in-process on 127.0.0.1 over an App whose pool is wired to an emulator, and
an httpx2 client that talks to it the way the Codex CLI does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from backports import zstd

from multicodex.app import App
from multicodex.model import StoredAccount
from multicodex.protocol import InitializationOptions
from multicodex.proxy.routes import ProxyLimits
from multicodex.proxy.server import ProxyServer
from multicodex_emulator import EmuAccount, Emulator
from multicodex_emulator.models import RecordedRequest
from support.accounts import stored_account

RESPONSES = "/backend-api/codex/responses"


@dataclass
class ProxyRig:
    emu: Emulator
    app: App
    proxy: ProxyServer
    http: httpx2.AsyncClient

    @property
    def url(self) -> str:
        return self.proxy.base_url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.proxy.secret}"}

    def add(self, email: str, **kwargs: Any) -> tuple[EmuAccount, StoredAccount]:
        created = self.emu.add_account(email=email, **kwargs)
        account = stored_account(self.emu.issue_tokens(created.account_id))
        with self.app.store.transaction() as doc:
            doc.accounts.append(account)
        return created, account

    def upstream_turns(self) -> list[RecordedRequest]:
        return [r for r in self.emu.requests_to(RESPONSES) if r.method == "POST"]

    async def turn(
        self,
        text: str = "hi",
        *,
        cache_key: str = "thread-1",
        headers: dict[str, str] | None = None,
    ) -> httpx2.Response:
        """One CLI-shaped turn: a zstd body with the CLI's keys, read to its end."""
        body = json_bytes(cli_body(text, cache_key))
        return await self.turn_with(body, cache_key=cache_key, headers=headers)

    async def turn_with(
        self, body: bytes, *, cache_key: str = "thread-1", headers: dict[str, str] | None = None
    ) -> httpx2.Response:
        """A turn whose body is ``body`` (JSON bytes), sent as the CLI sends it."""
        sent = {
            **self.auth,
            "content-encoding": "zstd",
            "content-type": "application/json",
            "session-id": cache_key,
            "thread-id": cache_key,
            "version": "0.171.0",
            **(headers or {}),
        }
        data = zstd.compress(body)
        async with self.http.stream(
            "POST", f"{self.url}/codex/responses", content=data, headers=sent
        ) as r:
            await r.aread()
            return r


def json_bytes(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


def cli_body(text: str, cache_key: str) -> dict[str, Any]:
    """The keys the Codex CLI 0.171 sends (harness §3.2), with a short prompt."""
    return {
        "model": "gpt-5.5",
        "stream": True,
        "input": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "user",
                "content": [{"type": "input_text", "text": text}],
                "internal_chat_message_metadata_passthrough": {"content_item_kinds": ["user.text"]},
            }
        ],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"effort": "medium"},
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": cache_key,
        "text": {"verbosity": "low"},
        "client_metadata": {"session_id": cache_key, "thread_id": cache_key},
    }


@asynccontextmanager
async def serve_proxy(tmp_path: Path, limits: ProxyLimits | None = None) -> AsyncIterator[ProxyRig]:
    emu = Emulator(tokens_per_second=20000.0)
    async with emu.serve() as base_url:
        options = InitializationOptions(
            home=str(tmp_path / "home"), auth_url=base_url, backend_url=f"{base_url}/backend-api"
        )
        app = App(options, env={})
        try:
            async with (
                ProxyServer(app, limits=limits) as proxy,
                httpx2.AsyncClient(timeout=30.0) as http,
            ):
                yield ProxyRig(emu=emu, app=app, proxy=proxy, http=http)
        finally:
            await app.aclose()
