"""Fixtures for the emulator's own tests: an emulator served on 127.0.0.1 and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from multicodex_emulator import EmuAccount, Emulator


@pytest.fixture
def emu() -> Emulator:
    # 0 tokens per second: stream without pacing, the tests stay fast.
    return Emulator(tokens_per_second=0)


@pytest.fixture
async def base_url(emu: Emulator) -> AsyncIterator[str]:
    async with emu.serve() as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=base_url, timeout=15.0) as http:
        yield http


@pytest.fixture
def account(emu: Emulator) -> EmuAccount:
    return emu.add_account(email="alice@example.test")


@pytest.fixture
def tokens(emu: Emulator, account: EmuAccount) -> dict[str, Any]:
    return emu.issue_tokens(account.account_id)
