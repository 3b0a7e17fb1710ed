"""What a store document that parses but is partly invalid still holds that can be used.

One bad value must not cost every account: an invalid setting (or a wholly invalid
``settings`` object, ``pinned`` or ``active``) falls back to its default, and an account
entry that does not validate, or repeats the key of an earlier one, is set aside whole
while the others load. Only the parts are judged here; the store keeps what is set aside
in a side file (see `set_aside`) and says what happened.

Nothing here ever names a value from the document: reasons are pydantic's messages
without their input, since an input may be a token.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from multicodex.model import StoredAccount
from multicodex.store.schema import StoreDocument
from multicodex.validation_words import describe as describe_error
from multicodex.validation_words import field_problems

REPAIR_LOGGER = "multicodex.store.salvage"
"""Each repair is logged here once per process (a warning): a client that says them in
its own words (the CLI's one line) may quiet this logger."""

log = logging.getLogger(REPAIR_LOGGER)

_MAX_PASSES = 8
"""Pruning never needs more than a few passes (a wholly invalid object first, then what
its replacement lacks); the bound only guards against a schema that never settles."""
_EMAIL_SHAPE = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}")


class Unsalvageable(ValueError):
    """The document's invalid parts cannot be told apart from the rest."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FieldFallback:
    """A value that did not validate and is replaced by its default."""

    field: str
    """Dotted path from the document's root, e.g. ``settings.footer.usage_mode``."""
    reason: str


@dataclass(frozen=True)
class SetAsideAccount:
    """An account entry the store cannot use, kept verbatim in a side file."""

    index: int | None
    """Its index in the document's ``accounts`` list (None: the list itself is invalid)."""
    name: str
    """``account #2 (bob@example.test)``: its position, and its email when it has one."""
    reason: str
    entry: Any = field(repr=False, compare=False, hash=False)
    """The entry as it was parsed from the document (it may hold tokens: never logged)."""
    side_file: Path | None = None
    """Where it was kept, once it was."""


@dataclass(frozen=True)
class Repairs:
    """Everything that was not used as it stood."""

    fallbacks: tuple[FieldFallback, ...] = ()
    set_aside: tuple[SetAsideAccount, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fallbacks or self.set_aside)

    def kept_in(self, side_file: Path) -> Repairs:
        """These repairs, their set-aside accounts kept in ``side_file``."""
        kept = tuple(replace(account, side_file=side_file) for account in self.set_aside)
        return Repairs(self.fallbacks, kept)


def salvage(data: dict[str, Any]) -> tuple[StoreDocument, Repairs]:
    """The usable document within ``data`` (a parsed JSON object whose version was checked;
    it is changed in place) and what had to be repaired.

    Raises `Unsalvageable` when an invalid part cannot be dropped.
    """
    try:
        document = StoreDocument.model_validate(data)  # the usual case, and the fastest
    except ValidationError:
        pass
    else:
        if len({a.key for a in document.accounts}) == len(document.accounts):
            _drop_dangling_references(document)
            return document, Repairs()
    accounts, set_aside = _usable_accounts(data.pop("accounts", []))
    rest, fallbacks = _usable_rest(data)
    document = rest.model_copy(update={"accounts": accounts})
    _drop_dangling_references(document)
    return document, Repairs(tuple(fallbacks), tuple(set_aside))


def summarise(exc: ValidationError, root: str = "(root)") -> str:
    """Where and why validation failed, without the input values (they may be tokens)."""
    parts = [problem.sentence(problem.field or root) for problem in field_problems(exc)[:3]]
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def describe(repair: FieldFallback | SetAsideAccount) -> str:
    """One repair in words, for the log."""
    if isinstance(repair, FieldFallback):
        return f"{repair.field} is not valid ({repair.reason}); using its default"
    where = f"; kept in {repair.side_file}" if repair.side_file is not None else ""
    return f"{repair.name} is not usable ({repair.reason}); set aside{where}"


def _usable_accounts(raw: Any) -> tuple[list[StoredAccount], list[SetAsideAccount]]:
    if not isinstance(raw, list):
        return [], [SetAsideAccount(None, "the accounts list", "not a list", raw)]
    kept: list[StoredAccount] = []
    set_aside: list[SetAsideAccount] = []
    first_with_key: dict[str, int] = {}
    for index, entry in enumerate(raw):
        name = _account_name(entry, index)
        try:
            account = StoredAccount.model_validate(entry)
        except ValidationError as exc:
            set_aside.append(SetAsideAccount(index, name, summarise(exc, "the entry"), entry))
            continue
        earlier = first_with_key.setdefault(account.key, index)
        if earlier != index:
            reason = f"the same key as account #{earlier + 1}"
            set_aside.append(SetAsideAccount(index, name, reason, entry))
            continue
        kept.append(account)
    return kept, set_aside


def _account_name(entry: Any, index: int) -> str:
    email = entry.get("email") if isinstance(entry, dict) else None
    if isinstance(email, str) and _EMAIL_SHAPE.fullmatch(email):
        return f"account #{index + 1} ({email})"
    return f"account #{index + 1}"


def _usable_rest(data: dict[str, Any]) -> tuple[StoreDocument, list[FieldFallback]]:
    """The document without its accounts, each invalid value pruned so its default applies."""
    fallbacks: list[FieldFallback] = []
    for _ in range(_MAX_PASSES):
        try:
            return StoreDocument.model_validate(data), fallbacks
        except ValidationError as exc:
            pruned = _prune_all(data, exc)
            if not pruned:
                raise Unsalvageable(summarise(exc)) from None
        fallbacks += pruned
    raise Unsalvageable("its invalid settings could not be replaced by their defaults")


def _prune_all(data: dict[str, Any], exc: ValidationError) -> list[FieldFallback]:
    pruned: list[FieldFallback] = []
    for error in exc.errors(include_url=False, include_input=False):
        path = _prune(data, error["loc"])
        if path is not None:
            pruned.append(FieldFallback(".".join(path), describe_error(error)))
    return pruned


def _prune(data: dict[str, Any], loc: tuple[int | str, ...]) -> tuple[str, ...] | None:
    """Remove the deepest key of ``loc`` that is there (its default then applies); the
    path removed, or None when nothing of it is left to remove."""
    container: Any = data
    path: list[str] = []
    parent: dict[str, Any] = data
    for part in loc:
        if not (isinstance(container, dict) and isinstance(part, str) and part in container):
            break
        parent = container
        path.append(part)
        container = container[part]
    if not path:
        return None
    del parent[path[-1]]
    return tuple(path)


def _drop_dangling_references(document: StoreDocument) -> None:
    """A pin or an active account naming no account in the document names nothing."""
    if document.pinned is not None and document.find(document.pinned) is None:
        document.pinned = None
    if document.active is not None and document.find(document.active) is None:
        document.active = None
