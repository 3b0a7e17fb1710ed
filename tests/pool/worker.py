"""A separate MultiCodex process for the pool's multi-process tests.

usage: python worker.py HOME BASE_URL MODE [ROUNDS]
MODE "tokens": make every account's token valid, print {key: access_token_is_valid_per_emulator}
MODE "usage": read every account's usage ROUNDS times
Prints one JSON line on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx2

from multicodex.codex.client import CodexClient
from multicodex.config import Endpoints
from multicodex.pool import Pool
from multicodex.store.document import Store


async def main(home: str, base_url: str, mode: str, rounds: int) -> dict[str, object]:
    endpoints = Endpoints(auth_url=base_url, backend_url=f"{base_url}/backend-api")
    async with httpx2.AsyncClient(timeout=30.0) as http:
        codex = CodexClient(endpoints, http=http)
        pool = Pool(Store.open(Path(home)), endpoints, http, codex)
        keys = [a.key for a in pool.accounts()]
        if mode == "tokens":
            accounts = await asyncio.gather(*(pool.tokens.valid(k) for k in keys))
            return {a.key: a.tokens.access_token for a in accounts}
        for _ in range(rounds):
            await asyncio.gather(*(pool.usage.get(k) for k in keys))
        return {"done": len(keys)}


if __name__ == "__main__":
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], rounds))))
