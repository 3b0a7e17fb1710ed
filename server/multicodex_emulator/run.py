"""`multicodex emulator`: serve the emulator until SIGINT/SIGTERM.

The first stdout line is exactly the base URL (flushed at once) so a parent process can
read it; a few human lines follow.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from multicodex import heap
from multicodex_emulator.emulator import Emulator


def run_from_cli(args: argparse.Namespace) -> int:
    if args.accounts < 0:
        print("multicodex emulator: --accounts must be >= 0", file=sys.stderr)
        return 2
    emulator = Emulator(
        token_lifetime=args.token_lifetime, tokens_per_second=args.tokens_per_second
    )
    for number in range(1, args.accounts + 1):
        emulator.add_account(email=f"account-{number}@example.test", plan="plus")
    try:
        asyncio.run(_serve_until_signalled(emulator, args.port, args.tls))
    except OSError as exc:
        print(
            f"multicodex emulator: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    return 0


async def _serve_until_signalled(emulator: Emulator, port: int, tls: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with emulator.serve(tls=tls, port=port) as base_url:
        heap.settle()  # its pauses would land in every benchmark's baseline and result alike
        print(base_url, flush=True)
        _describe(emulator, base_url)
        await stop.wait()
    print("emulator stopped", flush=True)


def _describe(emulator: Emulator, base_url: str) -> None:
    for account in emulator.accounts():
        print(f"account {account.email} ({account.plan}) id={account.account_id}")
    if not emulator.accounts():
        print(f"no accounts yet: POST {base_url}/_emu/accounts")
    print(f"control API: {base_url}/_emu (e.g. GET {base_url}/_emu/accounts)")
    print(f"use: MULTICODEX_AUTH_URL={base_url} MULTICODEX_BACKEND_URL={base_url}/backend-api")
    if emulator.ca_pem_path:
        print(f"CA certificate: {emulator.ca_pem_path}")
    sys.stdout.flush()
