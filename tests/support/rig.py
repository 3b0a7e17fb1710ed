"""An emulator on 127.0.0.1 with a pool (and its own store) wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from multicodex.codex.client import CodexClient
from multicodex.config import Endpoints
from multicodex.model import StoredAccount
from multicodex.pool import Pool
from multicodex.store.document import Store
from multicodex_emulator import Emulator
from support.accounts import stored_account


@dataclass
class Rig:
    """An emulator on 127.0.0.1 and a pool (with its own store) pointed at it."""

    emu: Emulator
    base_url: str
    pool: Pool
    codex: CodexClient
    http: httpx2.AsyncClient

    def add(self, email: str, **kwargs: object) -> StoredAccount:
        """Create an emulator account and put its fresh tokens in the store."""
        created = self.emu.add_account(email=email, **kwargs)  # type: ignore[arg-type]
        account = stored_account(self.emu.issue_tokens(created.account_id))
        with self.pool.store.transaction() as doc:
            doc.accounts.append(account)
        return account


@asynccontextmanager
async def serve_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    emu = Emulator(tokens_per_second=20000.0)
    async with emu.serve() as base_url:
        endpoints = Endpoints(auth_url=base_url, backend_url=f"{base_url}/backend-api")
        async with httpx2.AsyncClient(timeout=30.0) as http:
            codex = CodexClient(endpoints, http=http)
            pool = Pool(Store.open(tmp_path / "home"), endpoints, http, codex)
            yield Rig(emu=emu, base_url=base_url, pool=pool, codex=codex, http=http)
