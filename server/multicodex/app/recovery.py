"""Recovering from a store document that was found corrupt (``multicodex/store/recover``),
and the words that tell the user how to do it.

A corrupt document is moved aside by the store and every request fails until someone
acknowledges that; starting empty is that acknowledgement. The moved file is never
touched here: it stays where the store put it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex

from multicodex.protocol import Method, StoreRecoverParams, StoreRecoverResult
from multicodex.store.backend import StoreBackend
from multicodex.store.errors import StoreCorruptError

RECOVER_METHOD = Method.STORE_RECOVER.value
RECOVER_COMMAND = "multicodex recover --start-empty"
"""The CLI command that does what ``multicodex/store/recover`` with start_empty does."""
EDITOR_ACTION = "Start with an empty store"
"""What the editor offers on the error (its button); people never see method names."""
HOW_TO_RECOVER = f"`{RECOVER_COMMAND}` (in the editor: {EDITOR_ACTION})"


def import_command(report: StoreCorruptError) -> str | None:
    """The command that imports the accounts of a moved document in another tool's format."""
    if report.foreign_format is None:
        return None
    return f"multicodex import {report.foreign_format} --path {shlex.quote(str(report.moved_to))}"


def corrupt_message(report: StoreCorruptError) -> str:
    """What happened to the document, where it is, and how to go on (one line)."""
    how = f"run {HOW_TO_RECOVER}"
    importing = import_command(report)
    if importing is not None:
        return (
            f"{report.path} held accounts in the {report.foreign_format} format; it was moved "
            f"to {report.moved_to} so nothing is lost. To use it, {how} to start with an empty "
            f"store, then import its accounts with `{importing}`."
        )
    return (
        f"{report.path} could not be used ({report.reason}); it was moved to "
        f"{report.moved_to} so nothing is lost. To go on with an empty store, {how}; the "
        "moved file stays where it is."
    )


def corrupt_check_detail(report: StoreCorruptError) -> str:
    """The failing store check of ``verify``: the moved file and the fix."""
    fix = f"start with an empty store: {HOW_TO_RECOVER}"
    importing = import_command(report)
    if importing is not None:
        moved = f"{report.foreign_format} format, moved to {report.moved_to}"
        return f"{moved}; {fix}, then {importing}"
    return f"unusable ({report.reason}), moved to {report.moved_to}; {fix}"


async def recover_store(store: StoreBackend, params: StoreRecoverParams) -> StoreRecoverResult:
    """Apply ``params.action`` (start_empty: acknowledge the moved document)."""
    report = await asyncio.to_thread(_acknowledge, store)
    accounts = len((await asyncio.to_thread(store.peek)).accounts)
    if report is None:
        return StoreRecoverResult(
            action=params.action,
            recovered=False,
            store_file=str(store.path),
            moved_to=None,
            reason=None,
            foreign_format=None,
            accounts=accounts,
            message=f"Nothing to recover: the store at {store.path} is usable.",
        )
    message = f"Started with an empty store; the unusable document stays at {report.moved_to}."
    importing = import_command(report)
    if importing is not None:
        message += f" Import its accounts with `{importing}`."
    return StoreRecoverResult(
        action=params.action,
        recovered=True,
        store_file=str(store.path),
        moved_to=str(report.moved_to),
        reason=report.reason,
        foreign_format=report.foreign_format,
        accounts=accounts,
        message=message,
    )


def _acknowledge(store: StoreBackend) -> StoreCorruptError | None:
    with contextlib.suppress(StoreCorruptError):
        store.peek()  # a corrupt document nobody has read yet is moved aside now
    return store.acknowledge_corruption()
