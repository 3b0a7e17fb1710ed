"""The real `multicodex serve` process over stdio, pointed at the emulator on 127.0.0.1,
with its store and every other tool's credential location inside the test's directory."""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multicodex_emulator import EmuAccount, Emulator
from support.accounts import write_codex_auth
from support.rpc_client import RpcClient, server_env

TOKEN_IN_TEXT = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}|\brt_[\w-]{20,}|\bac_[\w-]{20,}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerRig:
    """The emulator, the server process and a client talking to it."""

    emu: Emulator
    base_url: str
    root: Path
    client: RpcClient
    options: dict[str, Any]
    issued: list[str] = field(default_factory=list)
    """Every token this rig handed out (none may appear in the server's stderr)."""

    def tokens_for(self, account: EmuAccount) -> dict[str, Any]:
        tokens = self.emu.issue_tokens(account.account_id)
        self.issued += [tokens["access_token"], tokens["refresh_token"], tokens["id_token"]]
        return tokens

    async def seed(self, *emails: str, **account_args: Any) -> list[dict[str, Any]]:
        """Create emulator accounts and import them through a Codex CLI auth.json each;
        returns their AccountInfo, in the order given."""
        sources = []
        created = []
        for email in emails:
            account = self.emu.add_account(email=email, **account_args)
            created.append(account)
            path = self.root / "sources" / account.account_id / "auth.json"
            write_codex_auth(path, self.tokens_for(account), account.account_id)
            sources.append({"kind": "codex-cli", "path": str(path)})
        await self.client.request("multicodex/accounts/import", {"sources": sources})
        listing = await self.client.request("multicodex/accounts/list", {})
        by_email = {a["email"]: a for a in listing["accounts"]}
        return [by_email[e] for e in emails]

    def emu_account(self, info: dict[str, Any]) -> str:
        return str(info["account_id"])


async def start_server(
    emu: Emulator,
    base_url: str,
    root: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ServerRig:
    """A server over a store in ``root``, initialized with ``overrides`` on top of the
    rig's options; ``extra_env`` adds to (or replaces) its environment."""
    options: dict[str, Any] = {
        "home": str(root / "store"),
        "auth_url": base_url,
        "backend_url": f"{base_url}/backend-api",
        "callback_ports": [free_port()],
        **overrides,
    }
    client = await RpcClient.start(server_env(root, extra_env), root / "server-stderr.log")
    await client.initialize(options)
    return ServerRig(emu=emu, base_url=base_url, root=root, client=client, options=options)


def assert_no_tokens(rig: ServerRig) -> None:
    stderr = rig.client.stderr()
    assert not TOKEN_IN_TEXT.search(stderr), "the server's stderr holds a token"
    for token in rig.issued:
        assert token not in stderr


DELTA = "multicodex/completion/delta"
STATUS = "multicodex/status"


def deltas_of(client: RpcClient, stream_id: str) -> list[dict[str, Any]]:
    """The completion deltas of one stream, in the order the server sent them."""
    return [d for d in client.notifications(DELTA) if d["stream_id"] == stream_id]


async def ready(rig: ServerRig, *emails: str) -> list[dict[str, Any]]:
    """Seed accounts and wait until the first one's usage is known (the active one)."""
    accounts = await rig.seed(*emails)
    await rig.client.notification(
        STATUS, lambda s: s["active"] is not None and s["accounts"][0]["usage"] is not None
    )
    return accounts
