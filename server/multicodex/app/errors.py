"""Domain errors of the application layer: each carries its protocol error code and the
data model the protocol gives that code. Messages are for people and never hold secrets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from multicodex import protocol
from multicodex.app.recovery import RECOVER_COMMAND, RECOVER_METHOD, corrupt_message
from multicodex.pool.errors import AccountNeedsReauth, AccountNotFound
from multicodex.pool.locks import LockTimeout
from multicodex.protocol import (
    AccountNotFoundData,
    AccountRef,
    ErrorCode,
    FieldError,
    InvalidParamsData,
    NeedsReauthData,
    StoreCorruptData,
    StoreUnavailableData,
)
from multicodex.store.backend import StoreBackend
from multicodex.store.errors import (
    StoreCorruptError,
    StoreError,
    StoreInvalidDocument,
    StoreLockTimeout,
    StoreNewerVersionError,
)
from multicodex.validation_words import FieldProblem, field_problems

_M = TypeVar("_M", bound=BaseModel)
UnavailableReason = Literal["lock_timeout", "unreadable", "newer_version", "invalid_document"]


class AppError(Exception):
    """A failure the client can act on, as the protocol describes it."""

    def __init__(self, code: ErrorCode, message: str, data: BaseModel | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def data_json(self) -> dict[str, Any] | None:
        return None if self.data is None else self.data.model_dump(mode="json")


def invalid_params(exc: ValidationError, model: type[BaseModel] | None = None) -> AppError:
    """INVALID_PARAMS naming every bad field and what is wrong with it in words (never
    pydantic's wording, never the value given); ``model``, the one validated, lets a bound
    name its whole range (found by name among the protocol's models when not given)."""
    return _invalid(field_problems(exc, model or _protocol_model(exc.title)))


def invalid_field(field: str, problem: str) -> AppError:
    """INVALID_PARAMS for a value that validates in shape but not in context; ``problem``
    is a predicate ("is already used by a running completion")."""
    return _invalid([FieldProblem(field, problem)])


def validated(model: type[_M], data: Any) -> _M:
    """``data`` as ``model``, or INVALID_PARAMS saying what is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_params(exc, model) from None


def _protocol_model(name: str) -> type[BaseModel] | None:
    found = getattr(protocol, name, None)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def _invalid(problems: list[FieldProblem]) -> AppError:
    first = problems[0] if problems else FieldProblem("", "are not valid")
    return AppError(
        ErrorCode.INVALID_PARAMS,
        f"invalid params: {first.sentence(first.field or 'params')}",
        InvalidParamsData(errors=[FieldError(field=p.field, message=p.problem) for p in problems]),
    )


def account_not_found(key: str, known_keys: list[str], message: str | None = None) -> AppError:
    return AppError(
        ErrorCode.ACCOUNT_NOT_FOUND,
        message or f"Unknown account: {key}",
        AccountNotFoundData(key=key, known_keys=known_keys),
    )


def needs_reauth(account: AccountRef, reason: str | None) -> AppError:
    detail = f" ({reason})" if reason else ""
    return AppError(
        ErrorCode.NEEDS_REAUTH,
        f"{account.display_name} needs re-authentication{detail}",
        NeedsReauthData(account=account, reason=reason),
    )


def store_failure(store: StoreBackend, exc: StoreError | LockTimeout) -> AppError:
    """STORE_CORRUPT or STORE_UNAVAILABLE for a store (or account lock) failure."""
    if isinstance(exc, StoreCorruptError):
        return store_corrupt(store, exc)
    data = StoreUnavailableData(
        store_file=str(store.path),
        lock_file=str(store.lock_path),
        reason=_unavailable_reason(exc),
        detail=str(exc),
    )
    return AppError(ErrorCode.STORE_UNAVAILABLE, str(exc), data)


def store_unopened(exc: StoreError) -> AppError:
    """STORE_UNAVAILABLE for a store that could not even be opened (its home is a file,
    the OS refused to create it): every request says so until the setting is fixed."""
    data = StoreUnavailableData(
        store_file=str(exc.path),
        lock_file="",
        reason=_unavailable_reason(exc),
        detail=str(exc),
    )
    return AppError(ErrorCode.STORE_UNAVAILABLE, str(exc), data)


def store_corrupt(store: StoreBackend, exc: StoreCorruptError) -> AppError:
    """STORE_CORRUPT naming the moved file and how to recover (the method, the command)."""
    return AppError(
        ErrorCode.STORE_CORRUPT,
        corrupt_message(exc),
        StoreCorruptData(
            store_file=str(store.path),
            moved_to=str(exc.moved_to),
            reason=exc.reason,
            foreign_format=exc.foreign_format,
            recover_method=RECOVER_METHOD,
            recover_command=RECOVER_COMMAND,
        ),
    )


def domain_error(
    store: StoreBackend, exc: BaseException, refs: Mapping[str, AccountRef]
) -> AppError | None:
    """The AppError for a pool or store failure (unknown account, account needing a new
    login, store corrupt or unusable, a lock held too long), None for anything else.

    The one translation of these failures: every handler's failures pass through it (see
    `App.failures_translated`). ``refs`` names the accounts that exist (key → ref), for
    the error data.
    """
    if isinstance(exc, AccountNotFound):
        return account_not_found(exc.identifier, list(refs), str(exc))
    if isinstance(exc, AccountNeedsReauth):
        ref = refs.get(exc.key) or AccountRef(key=exc.key, display_name=exc.name)
        return needs_reauth(ref, exc.reason)
    if isinstance(exc, StoreError | LockTimeout):
        return store_failure(store, exc)
    return None


def _unavailable_reason(exc: StoreError | LockTimeout) -> UnavailableReason:
    if isinstance(exc, StoreLockTimeout | LockTimeout):
        return "lock_timeout"
    if isinstance(exc, StoreNewerVersionError):
        return "newer_version"
    if isinstance(exc, StoreInvalidDocument):
        return "invalid_document"
    return "unreadable"
