"""How a completion that could not be served is reported (the -320xx errors)."""

from __future__ import annotations

from pydantic import BaseModel

from multicodex.app.errors import AppError
from multicodex.model import FailureKind
from multicodex.protocol import (
    AccountAvailability,
    AccountRef,
    AttemptFailure,
    ErrorCode,
    ImportSourceInfo,
    ModelUnavailableData,
    NoAccountsData,
    PoolExhaustedData,
    RateLimitedData,
    UpstreamBadRequestData,
    UpstreamFailedData,
    UpstreamUnavailableData,
)
from multicodex.rotation.models import (
    AccountState,
    FailureInfo,
    ModelUnavailable,
    PoolExhausted,
    UpstreamFailure,
)
from multicodex.timefmt import until

_STATE_DETAIL = {
    "cooldown": "on cooldown",
    "needs_reauth": "needs re-authentication",
    "excluded": "failed during this request",
    "available": "available",
    "model_unavailable": "cannot serve this model",
}
_REASONS_SHOWN = 3


def no_accounts(sources: list[ImportSourceInfo]) -> AppError:
    return AppError(
        ErrorCode.NO_ACCOUNTS,
        "No MultiCodex accounts yet: log in or import one",
        NoAccountsData(import_sources=sources),
    )


def pool_exhausted(
    exc: PoolExhausted, now: float, waited_seconds: float, named: AccountRef | None = None
) -> AppError:
    """POOL_EXHAUSTED; ``named``: the one account the request asked for."""
    if exc.earliest_reset is not None:
        tail = f"the earliest reset is {until(exc.earliest_reset, now)}"
    else:
        tail = "no reset time is known (accounts may need re-authentication)"
    who = "No MultiCodex account can" if named is None else f"{named.display_name} cannot"
    return AppError(
        ErrorCode.POOL_EXHAUSTED,
        f"{who} serve this request now; {tail}",
        PoolExhaustedData(
            earliest_reset=exc.earliest_reset,
            accounts=[_availability(s) for s in exc.accounts],
            waited_seconds=waited_seconds,
        ),
    )


def model_unavailable(exc: ModelUnavailable) -> AppError:
    """MODEL_UNAVAILABLE: why each account cannot serve the model, and what the pool can."""
    reasons = [f"{s.name}: {s.detail or _STATE_DETAIL[s.state]}" for s in exc.accounts]
    if len(reasons) > _REASONS_SHOWN:
        reasons = [*reasons[:_REASONS_SHOWN], f"{len(reasons) - _REASONS_SHOWN} more"]
    if exc.servable:
        offer = f"models the pool can serve: {', '.join(exc.servable)}"
    else:
        offer = "no account's model list could be fetched"
    return AppError(
        ErrorCode.MODEL_UNAVAILABLE,
        f"No MultiCodex account can serve {exc.model} ({'; '.join(reasons)}); {offer}",
        ModelUnavailableData(
            model=exc.model,
            accounts=[_availability(s) for s in exc.accounts],
            servable_models=exc.servable,
        ),
    )


_UPSTREAM_ERRORS: dict[FailureKind, ErrorCode] = {
    FailureKind.BAD_REQUEST: ErrorCode.UPSTREAM_BAD_REQUEST,
    FailureKind.RATE_LIMITED: ErrorCode.RATE_LIMITED,
}
"""The error code for a failure before output, by the class the Codex client decided;
every other class (transient above all: 5xx, a 403 page, a dropped stream) is
UPSTREAM_UNAVAILABLE. After output it is always UPSTREAM_FAILED_AFTER_OUTPUT."""


def upstream_error_code(failure: FailureInfo, *, after_output: bool) -> ErrorCode:
    if after_output:
        return ErrorCode.UPSTREAM_FAILED_AFTER_OUTPUT
    return _UPSTREAM_ERRORS.get(failure.kind, ErrorCode.UPSTREAM_UNAVAILABLE)


def upstream_failure(exc: UpstreamFailure, account: AccountRef, deltas_sent: int) -> AppError:
    """The engine's last failure as the protocol error its class maps to."""
    failure = exc.failure
    detail = str(exc)
    code = upstream_error_code(failure, after_output=exc.after_output)
    if code is ErrorCode.UPSTREAM_FAILED_AFTER_OUTPUT:
        data: BaseModel = UpstreamFailedData(
            account=account,
            kind=failure.kind,
            status=failure.status,
            code=failure.code,
            detail=detail,
            deltas_sent=deltas_sent,
        )
        return AppError(code, detail, data)
    if code is ErrorCode.UPSTREAM_BAD_REQUEST:
        status = f" ({failure.status})" if failure.status is not None else ""
        return AppError(
            code,
            f"The backend rejected the request{status}: {detail}",
            UpstreamBadRequestData(
                account=account, status=failure.status, code=failure.code, detail=detail
            ),
        )
    attempt = AttemptFailure(
        account=account,
        kind=failure.kind,
        status=failure.status,
        code=failure.code,
        detail=detail,
    )
    if code is ErrorCode.RATE_LIMITED:
        return AppError(
            code,
            f"Every account tried is rate limited: {detail}",
            RateLimitedData(retry_at=None, attempts=[attempt]),
        )
    return AppError(
        code,
        f"The Codex backend is unavailable: {detail}",
        UpstreamUnavailableData(attempts=[attempt]),
    )


def _availability(state: AccountState) -> AccountAvailability:
    return AccountAvailability(
        account=AccountRef(key=state.key, display_name=state.name),
        state=state.state,
        until=state.until,
        detail=state.detail or _STATE_DETAIL[state.state],
    )
