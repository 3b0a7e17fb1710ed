"""Machines on one database: real `multicodex serve` processes, each with a home of its
own (its machine id, journal and key file: a different machine), all pointed at the same
PostgreSQL store, against the emulator."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multicodex.store.opening import open_store
from multicodex.store.postgres.keys import KEY_ENV, KEY_FILE_NAME, Key, KeyRing, write_key_file
from multicodex.store.postgres.store import PostgresStore
from multicodex_emulator import Emulator
from postgres.conftest import Database
from support.accounts import stored_account
from support.server_rig import ServerRig, start_server

REFRESH = "multicodex/accounts/refresh"
LIST = "multicodex/accounts/list"
STATUS = "multicodex/status"


@dataclass
class Machines:
    emu: Emulator
    base_url: str
    root: Path
    database: Database
    key: Key = field(default_factory=Key.generate)
    servers: list[ServerRig] = field(default_factory=list)
    ids_by_key: dict[str, str] = field(default_factory=dict)

    def url(self, name: str) -> str:
        """The database's URL naming the machine, so its sessions can be told apart."""
        return f"{self.database.url}?application_name={name}"

    def store(self) -> PostgresStore:
        """The store as the test sees it (a home of its own, the same key)."""
        env = {KEY_ENV: self.key.encoded()}
        store = open_store(self.root / "test-home", self.database.url, env=env)
        assert isinstance(store, PostgresStore)
        return store

    def seed(self, count: int, prefix: str = "user") -> dict[str, str]:
        """``count`` accounts in the database; their identity keys and emulator ids."""
        store = self.store()
        try:
            with store.transaction() as doc:
                for n in range(count):
                    created = self.emu.add_account(email=f"{prefix}-{n}@example.test")
                    entry = stored_account(self.emu.issue_tokens(created.account_id))
                    doc.accounts.append(entry)
                    self.ids_by_key[entry.key] = created.account_id
        finally:
            store.close()
        return self.ids_by_key

    async def start(self, name: str, **overrides: Any) -> ServerRig:
        """A server on machine ``name`` (started again on the same home if it ran before)."""
        root = self.root / name
        home = root / "store"
        home.mkdir(parents=True, exist_ok=True)
        key_file = home / KEY_FILE_NAME
        if not key_file.exists():
            write_key_file(key_file, KeyRing(self.key))
        (root / "server-stderr.log").unlink(missing_ok=True)
        rig = await start_server(
            self.emu, self.base_url, root, home=str(home), store=self.url(name), **overrides
        )
        self.servers.append(rig)
        return rig

    async def start_many(self, names: list[str], **overrides: Any) -> list[ServerRig]:
        return list(await asyncio.gather(*(self.start(n, **overrides) for n in names)))

    def counters(self, name: str) -> dict[str, int]:
        return {k: self.emu.counters(i)[name] for k, i in self.ids_by_key.items()}

    def expire_every_access_token(self) -> None:
        for account_id in self.ids_by_key.values():
            self.emu.expire_access_tokens(account_id)

    def sessions_holding(self, lock_keys: dict[int, str]) -> dict[str, set[str]]:
        """Per machine (application name): the accounts whose lock (key → account) its
        sessions hold now."""
        rows = self.database.sql(
            "SELECT a.application_name, (l.classid::bigint << 32) | l.objid::bigint "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        )
        held: dict[str, set[str]] = {}
        for line in rows.splitlines():
            if not line.strip():
                continue
            name, _, raw = line.partition("|")
            unsigned = int(raw)
            key = unsigned - (1 << 64) if unsigned >= (1 << 63) else unsigned
            if key in lock_keys:
                held.setdefault(name, set()).add(lock_keys[key])
        return held

    async def stop_all(self) -> None:
        for rig in self.servers:
            if rig.client.process.returncode is None:
                await rig.client.stop(within=30)
