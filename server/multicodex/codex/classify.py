"""Turn a backend failure into one of the closed ``FailureKind`` classes.

Decided from structured data first: the error codes in the body (``error.code``,
``error.type``, ``detail.code``) and, for 401s, the base64 JSON in ``x-error-json``; then
from the HTTP status. The message text patterns of the original system are only the last
resort, for bodies that carry no code we know.

403 with a Cloudflare HTML page is TRANSIENT: the block is about the network path (IP,
bot score, region), not the account or the request, it often clears by itself, and the
Codex CLI retries it too. Retries are bounded by the caller, and the message says
"blocked by Cloudflare" so a persistent block is still reported clearly.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2
from pydantic import BaseModel, ConfigDict, ValidationError

from multicodex.codex.errors import CodexFailure
from multicodex.codex.events import ERROR, RESPONSE_FAILED, ResponseEvent
from multicodex.codex.usage import parse_usage_headers
from multicodex.model import FailureKind, ModelGateReason, UsageSnapshot, WindowPair
from multicodex.model.quota import bucket_for_model
from multicodex.neterrors import describe_transport_error

QUOTA_CODES = frozenset(
    {"usage_limit_reached", "usage_not_included", "insufficient_quota", "quota_exceeded"}
)
RATE_LIMIT_CODES = frozenset({"rate_limit_exceeded", "rate_limit_error", "too_many_requests"})
REAUTH_CODES = frozenset(
    {
        "account_deactivated",
        "deactivated_workspace",
        "user_deactivated",
        "token_revoked",
        "token_invalidated",
        "refresh_token_reused",
        "refresh_token_expired",
        "refresh_token_invalidated",
    }
)
AUTH_EXPIRED_CODES = frozenset({"token_expired", "token_invalid", "invalid_token", "unauthorized"})
BAD_REQUEST_CODES = frozenset({"context_length_exceeded", "cyber_policy", "invalid_prompt"})
TRANSIENT_CODES = frozenset(
    {"server_is_overloaded", "slow_down", "server_error", "upstream_error", "temporary-failure"}
)

_CODE_TABLE: tuple[tuple[frozenset[str], FailureKind], ...] = (
    (REAUTH_CODES, FailureKind.NEEDS_REAUTH),
    (QUOTA_CODES, FailureKind.QUOTA_EXHAUSTED),
    (RATE_LIMIT_CODES, FailureKind.RATE_LIMITED),
    (BAD_REQUEST_CODES, FailureKind.BAD_REQUEST),
    (AUTH_EXPIRED_CODES, FailureKind.AUTH_EXPIRED),
    (TRANSIENT_CODES, FailureKind.TRANSIENT),
)

# Fallback text patterns (the original system matched quota errors by message only).
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], FailureKind], ...] = (
    (re.compile(r"deactivated|revoked|invalidated|suspended", re.I), FailureKind.NEEDS_REAUTH),
    (re.compile(r"\b429\b|rate.?limit|too many requests", re.I), FailureKind.RATE_LIMITED),
    (re.compile(r"quota|usage.?limit|limit reached", re.I), FailureKind.QUOTA_EXHAUSTED),
    (re.compile(r"overloaded|at capacity|high demand|unavailable", re.I), FailureKind.TRANSIENT),
    (re.compile(r"unauthori[sz]ed|token.{0,20}expired|\b401\b", re.I), FailureKind.AUTH_EXPIRED),
)
# A model this account may not use: the backend says so in words only (``detail``).
_GATE_PATTERNS: tuple[tuple[re.Pattern[str], ModelGateReason], ...] = (
    (re.compile(r"requires a newer version of codex", re.I), "version"),
    (re.compile(r"model is not supported when using codex", re.I), "plan"),
)
_GATED_MODEL = re.compile(r"the '([^']+)' model", re.I)
_RETRY_IN = re.compile(
    r"try again in\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)?\b",
    re.I,
)
_SECRET_LIKE = re.compile(
    r"eyJ[\w-]*\.[\w-]*\.[\w-]*|Bearer\s+\S+|\b(?:rt|sk|sess)[-_][\w-]{8,}", re.I
)
_MAX_MESSAGE_CHARS = 200
_MAX_BODY_CHARS = 65536
_STATUSES_RETRIED_AS_TRANSIENT = frozenset({404, 408, 409, 425})


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)


class ErrorObject(_Lenient):
    """``error`` of an error body or failure event; also the top level of an ``error`` event."""

    type: str | None = None
    code: str | None = None
    message: str | None = None
    plan_type: str | None = None
    resets_at: float | None = None
    resets_in_seconds: float | None = None


class ErrorDetail(_Lenient):
    code: str | None = None
    message: str | None = None


class ErrorBody(_Lenient):
    """The JSON error bodies the backend sends: ``{"error": …}`` or ``{"detail": …}``."""

    error: ErrorObject | str | None = None
    detail: ErrorDetail | str | None = None
    message: str | None = None
    code: str | None = None


class _Facts(BaseModel):
    """What a failure said, gathered from wherever it said it."""

    codes: list[str] = []
    message: str | None = None
    resets_at: float | None = None
    resets_in_seconds: float | None = None
    structured: bool = False
    """The body was JSON: its raw text is no message for a human."""


def classify_http_error(
    status: int,
    headers: Mapping[str, str],
    body: bytes | str | Mapping[str, Any] | None,
    *,
    now: float | None = None,
    request_id: str | None = None,
    model: str | None = None,
) -> CodexFailure:
    """Classify a non-2xx answer; ``.usage`` carries the snapshot from its x-codex headers.

    ``model`` is the model the request asked for: a 400 saying the model needs a newer
    client or is not offered to the account is ``MODEL_GATED`` for that model, and a quota
    429 names the limit it exhausted (``.bucket``): a Spark model's own, or the one
    ``x-codex-active-limit`` names.
    """
    now = time.time() if now is None else now
    text = _body_text(body)
    facts = _facts_from_body(body, text)
    auth_code = _x_error_json_code(headers)
    if auth_code:
        facts.codes.append(auth_code)
    usage = parse_usage_headers(headers, now, model=model)
    kind = _kind_from_codes(facts.codes) or _kind_from_status(status, facts, usage, text)
    gate = _gate(status, facts.message or text) if kind is FailureKind.BAD_REQUEST else None
    if gate is not None:
        kind = FailureKind.MODEL_GATED
        model = _gated_model(facts.message or text) or model
    bucket = _exhausted_bucket(headers, model) if kind is FailureKind.QUOTA_EXHAUSTED else None
    message = _describe(f"HTTP {status}", facts, text, request_id)
    failure = _failure(
        kind,
        message,
        facts,
        now=now,
        status=status,
        usage=usage,
        exhausted=_bucket_windows(usage, bucket),
        headers=headers,
        request_id=request_id,
    )
    failure.model = model
    failure.bucket = bucket
    failure.gate = gate
    return failure


def _bucket_windows(usage: UsageSnapshot | None, bucket: str | None) -> WindowPair | None:
    """The windows of the limit a 429 exhausted, when the headers describe them."""
    if usage is None or bucket is None:
        return usage
    return usage.bucket(bucket)


def _gate(status: int, message: str | None) -> ModelGateReason | None:
    """Whether a 400 says this account may not use the model, and why."""
    if status != 400 or not message:
        return None
    return next((why for pattern, why in _GATE_PATTERNS if pattern.search(message)), None)


def _gated_model(message: str | None) -> str | None:
    match = _GATED_MODEL.search(message or "")
    return match.group(1) if match else None


def _exhausted_bucket(headers: Mapping[str, str], model: str | None) -> str:
    """The limit a quota 429 exhausted: the one ``x-codex-active-limit`` names, else the
    request's model's own."""
    active = (_header(headers, "x-codex-active-limit") or "").strip()
    return active or bucket_for_model(model)


def classify_stream_event(
    event: ResponseEvent | Mapping[str, Any],
    *,
    now: float | None = None,
    usage: UsageSnapshot | None = None,
    request_id: str | None = None,
) -> CodexFailure:
    """Classify an in-stream ``response.failed`` or ``error`` event.

    ``usage`` is the snapshot from the stream's own headers, used for a quota reset time
    when the event does not carry one.
    """
    now = time.time() if now is None else now
    data: Mapping[str, Any] = event.data if isinstance(event, ResponseEvent) else event
    kind_name = str(data.get("type") or (event.type if isinstance(event, ResponseEvent) else ""))
    status_code = data.get("status_code")
    if kind_name == ERROR and isinstance(status_code, int) and status_code >= 400:
        # The WebSocket transport wraps an HTTP error (status, body, headers) in an event.
        headers = data.get("headers")
        return classify_http_error(
            status_code,
            headers if isinstance(headers, Mapping) else {},
            {"error": data.get("error")},
            now=now,
            request_id=request_id,
        )
    facts = _facts_from_event(kind_name, data)
    kind = _kind_from_codes(facts.codes) or _kind_from_text(facts.message) or FailureKind.TRANSIENT
    message = _describe(kind_name or "stream error", facts, None, request_id)
    return _failure(kind, message, facts, now=now, usage=usage, request_id=request_id)


def classify_exception(exc: BaseException) -> CodexFailure | None:
    """Map a transport exception (or a cancellation, when the caller wants that) to a failure.

    Returns None for exceptions that are not about talking to the backend: re-raise those.
    """
    if isinstance(exc, CodexFailure):
        return exc
    if isinstance(exc, asyncio.CancelledError):
        return CodexFailure(FailureKind.CANCELLED, "request cancelled")
    if isinstance(exc, httpx2.TimeoutException | TimeoutError | httpx2.TransportError):
        return CodexFailure(FailureKind.TRANSIENT, describe_transport_error(exc))
    return None


def classify_message(text: str | None) -> FailureKind | None:
    """The last-resort text patterns, exposed for callers holding only a message."""
    return _kind_from_text(text)


def parse_retry_after(message: str | None) -> float | None:
    """Seconds from "try again in 1.5s" / "20ms" / "2 seconds" / "3 min"."""
    if not message:
        return None
    match = _RETRY_IN.search(message)
    if match is None:
        return None
    value = float(match.group(1))
    unit = (match.group(2) or "s").lower()
    if unit.startswith("ms") or unit.startswith("milli"):
        return value / 1000.0
    if unit.startswith("m"):
        return value * 60.0
    return value


def _kind_from_codes(codes: list[str]) -> FailureKind | None:
    for table, kind in _CODE_TABLE:
        if any(code in table for code in codes):
            return kind
    if any("deactivated" in code for code in codes):
        return FailureKind.NEEDS_REAUTH
    return None


def _kind_from_text(text: str | None) -> FailureKind | None:
    if not text:
        return None
    for pattern, kind in _TEXT_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def _kind_from_status(
    status: int, facts: _Facts, usage: UsageSnapshot | None, text: str
) -> FailureKind:
    message = facts.message or text
    if status == 429:
        exhausted = usage is not None and usage.limit_reached
        if exhausted or _kind_from_text(message) is FailureKind.QUOTA_EXHAUSTED:
            return FailureKind.QUOTA_EXHAUSTED
        return FailureKind.RATE_LIMITED
    if status == 401:
        if _kind_from_text(message) is FailureKind.NEEDS_REAUTH:
            return FailureKind.NEEDS_REAUTH
        return FailureKind.AUTH_EXPIRED
    if status == 402:
        return FailureKind.NEEDS_REAUTH
    if status == 403:
        if not _is_html(text) and _kind_from_text(message) is FailureKind.NEEDS_REAUTH:
            return FailureKind.NEEDS_REAUTH
        return FailureKind.TRANSIENT
    if status >= 500:
        return FailureKind.TRANSIENT
    if status in _STATUSES_RETRIED_AS_TRANSIENT or status < 400:
        return _kind_from_text(message) or FailureKind.TRANSIENT
    return FailureKind.BAD_REQUEST


def _failure(
    kind: FailureKind,
    message: str,
    facts: _Facts,
    *,
    now: float,
    status: int | None = None,
    usage: UsageSnapshot | None = None,
    exhausted: WindowPair | None = None,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
) -> CodexFailure:
    resets_at = None
    retry_after = None
    if kind is FailureKind.QUOTA_EXHAUSTED:
        resets_at = _quota_reset(facts, exhausted or usage, headers, now)
    elif kind is FailureKind.RATE_LIMITED:
        retry_after = _retry_after(facts, headers, now)
    return CodexFailure(
        kind,
        message,
        status=status,
        code=_primary_code(facts.codes),
        resets_at=resets_at,
        retry_after=retry_after,
        usage=usage,
        request_id=request_id,
    )


def _quota_reset(
    facts: _Facts, usage: WindowPair | None, headers: Mapping[str, str] | None, now: float
) -> float | None:
    if facts.resets_at is not None and facts.resets_at > 0:
        return facts.resets_at
    if facts.resets_in_seconds is not None and facts.resets_in_seconds >= 0:
        return now + facts.resets_in_seconds
    if usage is not None and (reset := usage.earliest_exhausted_reset()) is not None:
        return reset
    return _active_limit_reset(headers, now)


def _active_limit_reset(headers: Mapping[str, str] | None, now: float) -> float | None:
    """A model-specific limit family (``x-codex-active-limit``) may be the exhausted one."""
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    active = lowered.get("x-codex-active-limit", "").strip()
    if not active or active == "codex":
        return None
    family = parse_usage_headers(lowered, now, limit_id=active)
    return family.earliest_exhausted_reset() if family is not None else None


def _retry_after(facts: _Facts, headers: Mapping[str, str] | None, now: float) -> float | None:
    header = _header(headers, "retry-after")
    if header:
        seconds = _retry_after_header(header, now)
        if seconds is not None:
            return seconds
    parsed = parse_retry_after(facts.message)
    if parsed is not None:
        return parsed
    if facts.resets_in_seconds is not None and facts.resets_in_seconds >= 0:
        return facts.resets_in_seconds
    return None


def _retry_after_header(value: str, now: float) -> float | None:
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - now, 0.0)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


def _x_error_json_code(headers: Mapping[str, str]) -> str | None:
    """401s carry ``x-error-json: base64({"error": {"code": …}})``."""
    raw = _header(headers, "x-error-json")
    if not raw:
        return None
    try:
        decoded = json.loads(base64.b64decode(raw.strip() + "=" * (-len(raw.strip()) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(decoded, dict):
        return None
    error = decoded.get("error")
    code = error.get("code") if isinstance(error, dict) else decoded.get("code")
    return code.strip().lower() if isinstance(code, str) and code.strip() else None


def _facts_from_body(body: bytes | str | Mapping[str, Any] | None, text: str) -> _Facts:
    payload: Any = body if isinstance(body, Mapping) else _json_or_none(text)
    if not isinstance(payload, Mapping):
        return _Facts(structured=payload is not None)
    try:
        parsed = ErrorBody.model_validate(payload)
    except ValidationError:
        return _Facts(structured=True)
    codes: list[str] = []
    message = parsed.message
    facts = _Facts()
    if isinstance(parsed.error, ErrorObject):
        facts = _facts_from_error_object(parsed.error)
        codes.extend(facts.codes)
        message = facts.message or message
    elif isinstance(parsed.error, str):
        codes.append(parsed.error)
    if isinstance(parsed.detail, ErrorDetail):
        codes.extend(c for c in (parsed.detail.code,) if c)
        message = message or parsed.detail.message or parsed.detail.code
    elif isinstance(parsed.detail, str):
        message = message or parsed.detail
    if parsed.code:
        codes.append(parsed.code)
    facts.codes = _normalise(codes)
    facts.message = message
    facts.structured = True
    return facts


def _facts_from_event(kind_name: str, data: Mapping[str, Any]) -> _Facts:
    candidate: Any
    if kind_name == RESPONSE_FAILED:
        response = data.get("response")
        candidate = response.get("error") if isinstance(response, Mapping) else None
    else:
        nested = data.get("error")
        candidate = nested if isinstance(nested, Mapping) else data
    if not isinstance(candidate, Mapping):
        return _Facts()
    try:
        return _facts_from_error_object(ErrorObject.model_validate(candidate))
    except ValidationError:
        return _Facts()


def _facts_from_error_object(error: ErrorObject) -> _Facts:
    return _Facts(
        codes=_normalise([c for c in (error.code, error.type) if c]),
        message=error.message,
        resets_at=error.resets_at,
        resets_in_seconds=error.resets_in_seconds,
    )


def _normalise(codes: list[str]) -> list[str]:
    return [code.strip().lower() for code in codes if code and code.strip()]


def _primary_code(codes: list[str]) -> str | None:
    """The code worth reporting: a known one if any, else the first given."""
    for table, _ in _CODE_TABLE:
        for code in codes:
            if code in table:
                return code
    return codes[0] if codes else None


def _describe(prefix: str, facts: _Facts, text: str | None, request_id: str | None) -> str:
    code = _primary_code(facts.codes)
    head = f"{prefix} {code}" if code else prefix
    detail = facts.message
    if not detail and text and not facts.structured:
        detail = _html_summary(text) if _is_html(text) else text
    short = _short(detail)
    message = f"{head}: {short}" if short else head
    return f"{message} (request id {request_id})" if request_id else message


def _html_summary(text: str) -> str:
    if "cloudflare" in text.lower() or "cf-ray" in text.lower():
        return "blocked by Cloudflare (HTML error page)"
    return "HTML error page"


def _short(text: str | None) -> str:
    if not text:
        return ""
    cleaned = _SECRET_LIKE.sub("[redacted]", " ".join(text.split()))
    if len(cleaned) > _MAX_MESSAGE_CHARS:
        return cleaned[: _MAX_MESSAGE_CHARS - 1] + "…"
    return cleaned


def _is_html(text: str) -> bool:
    head = text.lstrip()[:100].lower()
    return head.startswith("<!doctype html") or head.startswith("<html")


def _body_text(body: bytes | str | Mapping[str, Any] | None) -> str:
    if body is None or isinstance(body, Mapping):
        return ""
    if isinstance(body, bytes):
        return body[:_MAX_BODY_CHARS].decode("utf-8", "replace")
    return body[:_MAX_BODY_CHARS]


def _json_or_none(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
