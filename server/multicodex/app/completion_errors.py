"""How a completion that could not be served is reported (the -320xx errors)."""

from __future__ import annotations

from datetime import UTC, datetime

from multicodex.app.errors import AppError
from multicodex.codex.errors import FailureKind
from multicodex.protocol import (
    AccountAvailability,
    AccountRef,
    AttemptFailure,
    ErrorCode,
    ImportSourceInfo,
    NoAccountsData,
    PoolExhaustedData,
    RateLimitedData,
    UpstreamBadRequestData,
    UpstreamFailedData,
    UpstreamUnavailableData,
)
from multicodex.rotation.models import AccountState, PoolExhausted, UpstreamFailure

_STATE_DETAIL = {
    "cooldown": "on cooldown",
    "needs_reauth": "needs re-authentication",
    "excluded": "failed during this request",
    "available": "available",
}


def no_accounts(sources: list[ImportSourceInfo]) -> AppError:
    return AppError(
        ErrorCode.NO_ACCOUNTS,
        "No MultiCodex accounts yet: log in or import one",
        NoAccountsData(import_sources=sources),
    )


def pool_exhausted(exc: PoolExhausted, now: float, waited_seconds: float) -> AppError:
    if exc.earliest_reset is not None:
        when = datetime.fromtimestamp(exc.earliest_reset, UTC).strftime("%H:%M UTC")
        tail = f"the earliest reset is in {_minutes(exc.earliest_reset - now)} ({when})"
    else:
        tail = "no reset time is known (accounts may need re-authentication)"
    return AppError(
        ErrorCode.POOL_EXHAUSTED,
        f"No MultiCodex account can serve this request now; {tail}",
        PoolExhaustedData(
            earliest_reset=exc.earliest_reset,
            accounts=[_availability(s) for s in exc.accounts],
            waited_seconds=waited_seconds,
        ),
    )


def upstream_failure(
    exc: UpstreamFailure, account: AccountRef | None, deltas_sent: int
) -> AppError:
    """UPSTREAM_FAILED_AFTER_OUTPUT, UPSTREAM_BAD_REQUEST, RATE_LIMITED or
    UPSTREAM_UNAVAILABLE, from what the engine says about the last failure."""
    ref = account or AccountRef(key="", display_name=exc.account_name or "unknown")
    detail = str(exc)
    kind = _kind(exc.status, exc.code)
    if exc.after_output:
        data = UpstreamFailedData(
            account=ref,
            kind=kind,
            status=exc.status,
            code=exc.code,
            detail=detail,
            deltas_sent=deltas_sent,
        )
        return AppError(ErrorCode.UPSTREAM_FAILED_AFTER_OUTPUT, detail, data)
    if kind is FailureKind.BAD_REQUEST and exc.status is not None:
        return AppError(
            ErrorCode.UPSTREAM_BAD_REQUEST,
            f"The backend rejected the request ({exc.status}): {detail}",
            UpstreamBadRequestData(account=ref, status=exc.status, code=exc.code, detail=detail),
        )
    attempt = AttemptFailure(
        account=ref, kind=kind, status=exc.status, code=exc.code, detail=detail
    )
    if kind is FailureKind.RATE_LIMITED:
        return AppError(
            ErrorCode.RATE_LIMITED,
            f"Every account tried is rate limited: {detail}",
            RateLimitedData(retry_at=None, attempts=[attempt]),
        )
    return AppError(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        f"The Codex backend is unavailable: {detail}",
        UpstreamUnavailableData(attempts=[attempt]),
    )


def _kind(status: int | None, code: str | None) -> FailureKind:
    if status == 429 or (code is not None and "rate_limit" in code):
        return FailureKind.RATE_LIMITED
    if status is not None and 400 <= status < 500 and status != 401:
        return FailureKind.BAD_REQUEST
    return FailureKind.TRANSIENT


def _availability(state: AccountState) -> AccountAvailability:
    return AccountAvailability(
        account=AccountRef(key=state.key, display_name=state.name),
        state=state.state,
        until=state.until,
        detail=state.detail or _STATE_DETAIL[state.state],
    )


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h{minutes % 60}m"
