"""`store`: where the accounts are kept. ``migrate --to`` copies them into a database or a
directory (never older tokens over newer), ``verify`` checks the connection, schema version,
encryption key and lock, ``rotate-key`` seals every token again under a new key, ``audit``
lists who spent which account (a database's audit). These commands open stores themselves
and build no App."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Mapping
from pathlib import Path

from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.failure import CliFailure
from multicodex.cli_commands.output import Output
from multicodex.cli_commands.parsing import CliParser, Subparsers, with_global_defaults
from multicodex.cli_commands.usage import parse_since
from multicodex.store.backend import StoreBackend
from multicodex.store.moving import move_accounts
from multicodex.store.opening import chosen_store, is_database_url, open_store
from multicodex.store.paths import resolve_home


def register(sub: Subparsers, common: CliParser) -> None:
    store = sub.add_parser(
        "store",
        parents=[common],
        help="move the accounts to a database or a directory, check or re-key the store",
        description="The store is the directory given by --store (or --home), or a "
        "postgresql:// URL (--store, MULTICODEX_STORE) that several machines share.",
    )
    actions = store.add_subparsers(dest="store_action", required=True, metavar="ACTION")
    migrate = actions.add_parser(
        "migrate",
        help="copy every account and setting into another store",
        description="Copies the accounts of the store in use into TARGET (a postgresql:// "
        "URL or a directory). An account already there keeps its tokens when they are "
        "fresher; settings go along when TARGET's are still the defaults. A database gets "
        "its schema, and an encryption key file in the home if no key is set.",
    )
    migrate.add_argument("--to", required=True, metavar="URL|DIR", help="the target store")
    migrate.set_defaults(standalone=run_migrate)
    verify = actions.add_parser(
        "verify", help="check the connection, schema version, encryption key and lock"
    )
    verify.set_defaults(standalone=run_verify)
    rotate = actions.add_parser(
        "rotate-key",
        help="seal every token in the database again under a new key",
        description="With the key file: a new key is generated, every token sealed again "
        "under it, then the old key removed from the file. With MULTICODEX_STORE_KEY: put "
        "the new key first and the old one after a comma, run this, then drop the old one.",
    )
    rotate.set_defaults(standalone=run_rotate_key)
    audit = actions.add_parser(
        "audit",
        parents=[common],
        help="who spent which account: the refreshes, switches, pins and logins recorded",
        description="Every refresh, switch of the active account, pin, login and removal "
        "saved in a database store, oldest first, with the machine, the time and why "
        "(never a token). The file store keeps no audit.",
    )
    audit.add_argument(
        "--since", metavar="WHEN", help="a span back from now (30m, 2h, 3d, 1w) or an ISO time"
    )
    audit.add_argument(
        "--account", metavar="ACCOUNT", help="one account: its email, or its identity key"
    )
    audit.set_defaults(standalone=run_audit)


async def run_migrate(args: argparse.Namespace, out: Output) -> int:
    return await asyncio.to_thread(_migrate, args, out)


async def run_verify(args: argparse.Namespace, out: Output) -> int:
    return await asyncio.to_thread(_verify, args, out)


async def run_rotate_key(args: argparse.Namespace, out: Output) -> int:
    return await asyncio.to_thread(_rotate_key, args, out)


async def run_audit(args: argparse.Namespace, out: Output) -> int:
    return await asyncio.to_thread(_audit, args, out)


def _environment() -> Mapping[str, str]:
    return dict(os.environ)


def _database_store(
    args: argparse.Namespace, refusal: str
) -> tuple[argparse.Namespace, Mapping[str, str], str]:
    """The arguments with their defaults, the environment and the store's database URL;
    ``refusal`` when the store chosen is not in a database."""
    args = with_global_defaults(args)
    env = _environment()
    setting = chosen_store(args.store, env)
    if setting is None or not is_database_url(setting):
        raise CliFailure(refusal)
    return args, env, setting


def _source(args: argparse.Namespace, env: Mapping[str, str]) -> StoreBackend:
    return open_store(args.home, args.store, env=env, create=False)


def _migrate(args: argparse.Namespace, out: Output) -> int:
    from multicodex.store.postgres.keys import create_key_file_if_missing

    args = with_global_defaults(args)
    env = _environment()
    source = _source(args, env)
    target_setting: str = args.to
    if target_setting == chosen_store(args.store, env) or (
        not is_database_url(target_setting)
        and Path(target_setting).expanduser().absolute() == source.home
        and not is_database_url(chosen_store(args.store, env))
    ):
        raise CliFailure(f"--to names the store in use ({source.location}); nothing to do")
    home = resolve_home(args.home, env)
    if is_database_url(target_setting):
        created = create_key_file_if_missing(home, env)
        if created is not None:
            out.note(
                f"multicodex: created the encryption key file {created} (mode 0600); "
                "copy it to every machine that uses this database",
                "warning",
            )
    target = open_store(home, target_setting, env=env, create=True)
    report = move_accounts(source, target)
    out.line(
        f"moved {len(report.added) + len(report.updated)} account(s) from {source.location} "
        f"to {target.location} ({len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} already there, "
        f"{len(report.kept_newer)} kept because the target's tokens were fresher"
        f"{'; settings copied' if report.settings_copied else ''})",
        "success",
    )
    return ExitCode.OK


def _verify(args: argparse.Namespace, out: Output) -> int:
    args = with_global_defaults(args)
    env = _environment()
    setting = chosen_store(args.store, env)
    if not is_database_url(setting):
        store = _source(args, env)
        accounts = len(store.peek().accounts)
        out.line(f"store: file {store.location}, {accounts} account(s), readable", "success")
        return ExitCode.OK
    from multicodex.store.postgres.migrations import SCHEMA_VERSION
    from multicodex.store.postgres.store import PostgresStore

    assert setting is not None
    database = PostgresStore.open(setting, home=resolve_home(args.home, env), env=env, create=False)
    try:
        ring = database.keyring
        assert ring is not None
        accounts = len(database.peek().accounts)
        database.take_lock_once()
        out.lines(
            [
                f"store: database {database.location} reachable",
                f"schema: version {database.schema_version} (this MultiCodex: {SCHEMA_VERSION})"
                + ("" if database.exists else "; not created yet, `store migrate` creates it"),
                f"key: {ring.current.id} from {ring.source}; every token opens ({accounts} "
                "account(s))",
                "lock: taken and released",
            ]
        )
    finally:
        database.close()
    return ExitCode.OK


def _rotate_key(args: argparse.Namespace, out: Output) -> int:
    from multicodex.store.postgres.keys import rotated_keys
    from multicodex.store.postgres.store import PostgresStore

    args, env, setting = _database_store(
        args,
        "rotate-key is for a store in a database (--store postgresql://…); the file "
        "store keeps its tokens in a 0600 file and has no key",
    )
    home = resolve_home(args.home, env)
    database = PostgresStore.open(setting, home=home, env=env, create=True, require_key=False)
    try:
        rotation = rotated_keys(database.keyring, database.sealed_key_ids(), home, env)
        database.use_keys(rotation.ring)
        resealed = database.reseal()
        rotation.finish()
    finally:
        database.close()
    out.line(
        f"sealed {resealed} account(s) again under key {rotation.ring.current.id}"
        f" ({rotation.where})",
        "success",
    )
    return ExitCode.OK


def _audit(args: argparse.Namespace, out: Output) -> int:
    from multicodex.store.postgres.audit import AuditListing, audit_table
    from multicodex.store.postgres.store import PostgresStore

    args, env, setting = _database_store(
        args,
        "the audit is kept by a store in a database (--store postgresql://…); the file "
        "store, on one machine, keeps none",
    )
    try:
        since = parse_since(args.since, time.time())
    except ValueError as exc:
        raise CliFailure(str(exc)) from None
    home = resolve_home(args.home, env)
    database = PostgresStore.open(setting, home=home, env=env, create=False)
    try:
        listing = AuditListing(entries=database.audit_entries(since, args.account))
    finally:
        database.close()
    if out.json_mode:
        out.result(listing)
    else:
        out.lines(audit_table(listing.entries))
    return ExitCode.OK
