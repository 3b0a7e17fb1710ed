"""HTTP client for the Codex backend: the streaming responses call, usage and models.

It speaks the wire and classifies failures; it decides no policy (no retries, no
rotation). Every failure leaves as a ``CodexFailure``; cancellation propagates untouched.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

import httpx2
from pydantic import BaseModel, ValidationError

from multicodex.codex.classify import classify_exception, classify_http_error, classify_stream_event
from multicodex.codex.errors import CodexFailure, StreamStalled
from multicodex.codex.events import (
    FAILURE_EVENT_TYPES,
    SUCCESS_EVENT_TYPES,
    FinalResponse,
    ResponseEvent,
    event_from_sse,
)
from multicodex.codex.headers import auth_headers, default_user_agent, stream_headers
from multicodex.codex.models import ModelCatalog, ModelInfo, ModelListPayload
from multicodex.codex.reset_credits import ConsumeResult, ResetCreditList
from multicodex.codex.sse import (
    DEFAULT_MAX_LINE_BYTES,
    DONE_SENTINEL,
    SSEEvent,
    SSEParser,
    SSEProtocolError,
)
from multicodex.codex.usage import parse_usage_headers, parse_usage_payload
from multicodex.config import ORIGINATOR, Endpoints, client_version
from multicodex.model import FailureKind, UsageSnapshot
from multicodex.neterrors import describe_transport_error

DEFAULT_IDLE_TIMEOUT = 300.0
"""Seconds without a byte on the stream before it counts as dead (the Codex CLI's value);
callers may give a shorter limit for the wait before the first byte of the answer."""
DEFAULT_CONNECT_TIMEOUT = 15.0
DEFAULT_WRITE_TIMEOUT = 60.0
MAX_ERROR_BODY_BYTES = 64 * 1024
STREAM_CLOSED_EARLY = "stream closed before response.completed"
DRAIN_TAIL_SECONDS = 0.25
DRAIN_TAIL_BYTES = 64 * 1024
"""After the terminal event: how long and how much of the rest of the body is read so the
connection can be reused (normally just the end of the chunked body, already received)."""

SKIMMED = ResponseEvent(type="multicodex.skimmed", data={})
"""What a skimming stream yields for a chunk it handed on without parsing its events."""
SKIM_MARKERS = (
    b"response.completed",
    b"response.incomplete",
    b"response.failed",
    b"error",
    DONE_SENTINEL,
)
"""Bytes some terminal event must contain (its type, in its event line or its JSON): a
chunk holding none of them cannot end the stream. One holding one (a delta's text may say
"error") is parsed: a marker seen too often costs time, never an event."""

Clock = Callable[[], float]
RESET_CREDITS_PATH = "/wham/rate-limit-reset-credits"


class ResponseStream:
    """The events of one ``POST /codex/responses``, iterated with ``async for``.

    Iteration ends after ``response.completed`` or ``response.incomplete`` (then
    ``completed`` holds the final response). It raises ``CodexFailure`` for a failure
    event, a stream that ends without a terminal event or a broken connection, and
    ``StreamStalled`` when the body's first bytes have not come by ``first_bytes_by`` (loop
    time) or, after them, nothing came for ``idle_timeout`` seconds.
    """

    def __init__(
        self,
        response: httpx2.Response,
        *,
        usage: UsageSnapshot | None,
        request_id: str | None,
        idle_timeout: float,
        first_bytes_by: float,
        first_bytes_timeout: float,
        clock: Clock,
        read_usage: Callable[[], UsageSnapshot | None] | None = None,
    ) -> None:
        """``read_usage``: reads ``usage`` when it is first asked for, instead of ``usage``."""
        self._usage = usage
        self._read_usage = read_usage
        self.request_id = request_id
        self.completed: FinalResponse | None = None
        self.failure: CodexFailure | None = None
        self._response = response
        self._chunks: AsyncGenerator[bytes, None] = response.aiter_bytes()
        self._parser = SSEParser()
        self._pending: deque[SSEEvent] = deque()
        self._finished = False
        self._idle_timeout = idle_timeout
        self._first_bytes_by = first_bytes_by
        self._first_bytes_timeout = first_bytes_timeout
        self._started = False
        self._clock = clock
        self.raw: list[bytes] | None = None
        """When a list: every chunk of the body read is appended to it as it came (a
        pass-through relay hands them on)."""
        self._skim = False
        self._skim_tail = b""
        """Skimmed bytes after the last complete event: the start of the next one."""
        self._deferred: CodexFailure | None = None
        """A failure `next_events` raises on its next call (events came before it)."""

    @property
    def usage(self) -> UsageSnapshot | None:
        """Quota as reported by this response's ``x-codex-*`` headers."""
        if self._read_usage is not None:
            self._usage, self._read_usage = self._read_usage(), None
        return self._usage

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> httpx2.Headers:
        return self._response.headers

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> ResponseEvent:
        while True:
            event = self._take()
            if event is not None:
                return event
            if self._finished:
                raise StopAsyncIteration
            if self._skim:
                if await self._skim_more():
                    return SKIMMED
                continue
            await self._read_more()

    async def next_events(self) -> list[ResponseEvent]:
        """Every event already read and not taken yet, reading more when there is none
        (one network read holds many events: handled together, they cost one pass through
        the layers above instead of one each); [] once the stream has ended. A failure that
        follows events of the same read is raised by the next call, after those events
        were handled. Not for a skimming stream."""
        if self._deferred is not None:
            failure, self._deferred = self._deferred, None
            raise failure
        while True:
            events = self._take_all()
            if events or self._finished:
                return events
            await self._read_more()

    def _take_all(self) -> list[ResponseEvent]:
        events: list[ResponseEvent] = []
        try:
            while (event := self._take()) is not None:
                events.append(event)
        except CodexFailure as failure:
            if not events:
                raise
            self._deferred = failure
        return events

    def _take(self) -> ResponseEvent | None:
        """The next event already read (None when more must be read first); raises the
        failure a failure event or the end of the body without a terminal event means."""
        pending = self._pending
        while pending:
            sse = pending.popleft()
            if sse.data == DONE_SENTINEL:
                pending.clear()
                self._end_without_terminal()
            event = event_from_sse(sse)
            if event is None:
                continue
            if event.type in SUCCESS_EVENT_TYPES:
                self._complete(event)
            elif event.type in FAILURE_EVENT_TYPES:
                self._fail(event)
            return event
        return None

    def skim(self) -> None:
        """From the next event boundary on, hand chunks on (into ``raw``) without parsing
        their events, each read yielding one ``SKIMMED`` event; a chunk that may hold the
        terminal event, and the end of the body, are parsed as before, so the stream still
        ends, completes or fails exactly as it would. For a pass-through relay only: the
        events of skimmed chunks are never seen."""
        if self.raw is None:
            raise RuntimeError("only a stream whose raw bytes are collected can skim")
        self._skim = True

    async def aclose(self) -> None:
        """Close the HTTP response now; unread bytes are dropped with the connection.

        After a terminal event only the end of the body is left: it is read first (briefly)
        so that the connection goes back to the pool instead of being closed, which would
        cost the next request a new connection.
        """
        self._finished = True
        self._pending.clear()
        try:
            if self.completed is not None and self.failure is None:
                await self._drain_tail()
            await self._chunks.aclose()
        finally:
            await self._response.aclose()

    async def _drain_tail(self) -> None:
        read = 0
        try:
            async with asyncio.timeout(DRAIN_TAIL_SECONDS):
                async for chunk in self._chunks:
                    read += len(chunk)
                    if read > DRAIN_TAIL_BYTES:
                        return
        except (TimeoutError, httpx2.TransportError, httpx2.DecodingError):
            return

    async def _skim_more(self) -> bool:
        """Read a chunk; True when it was handed on unparsed, False when events of it were
        parsed (the end of an event under way, or a chunk that may end the stream) or the
        body ended."""
        chunk = await self._read_chunk()
        if chunk is None:
            tail, self._skim_tail = self._skim_tail, b""
            self._parse(tail)
            self._end_of_body()
            return False
        assert self.raw is not None
        self.raw.append(chunk)
        if self._parser.at_boundary():
            return self._hold_or_parse(chunk)
        # An event is under way in the parser: it parses up to that event's end.
        end = chunk.find(b"\n\n")
        if end < 0 or b"\r" in chunk:
            self._parse(chunk)
            return False
        self._parse(chunk[: end + 2])
        rest = chunk[end + 2 :]
        if not self._parser.at_boundary():
            self._parse(rest)
        elif rest:
            self._hold_or_parse(rest)
        return False

    def _hold_or_parse(self, chunk: bytes) -> bool:
        """Hold ``chunk`` (read at an event boundary, after the skimmed tail) unparsed
        unless it may end the stream; True when it was not parsed."""
        tail = self._skim_tail
        data = tail + chunk if tail else chunk
        if b"\r" in data or any(marker in data for marker in SKIM_MARKERS):
            self._skim_tail = b""
            self._parse(data)
            return False
        boundary = data.rfind(b"\n\n")
        self._skim_tail = data[boundary + 2 :] if boundary >= 0 else data
        if len(self._skim_tail) > DEFAULT_MAX_LINE_BYTES:
            tail, self._skim_tail = self._skim_tail, b""
            self._parse(tail)  # the parser refuses an endless line, as it would have
        return True

    async def _read_more(self) -> None:
        chunk = await self._read_chunk()
        if chunk is None:
            self._end_of_body()
            return
        if self.raw is not None:
            self.raw.append(chunk)
        self._parse(chunk)

    def _end_of_body(self) -> None:
        """Whatever the parser still holds, then an end marker: reaching the marker
        means no terminal event came."""
        self._pending.extend(self._parser.flush())
        self._pending.append(SSEEvent(None, DONE_SENTINEL))

    async def _read_chunk(self) -> bytes | None:
        """The next chunk of the body; None at its end."""
        try:
            return await self._next_chunk()
        except StopAsyncIteration:
            return None
        except (TimeoutError, httpx2.TimeoutException) as exc:
            seconds = self._idle_timeout if self._started else self._first_bytes_timeout
            self._raise(
                StreamStalled(seconds, started=self._started, request_id=self.request_id),
                cause=exc,
            )
        except (httpx2.TransportError, httpx2.DecodingError) as exc:
            self._raise(
                CodexFailure(
                    FailureKind.TRANSIENT,
                    f"connection lost mid-stream: {describe_transport_error(exc)}",
                    request_id=self.request_id,
                ),
                cause=exc,
            )

    def _parse(self, chunk: bytes) -> None:
        try:
            self._pending.extend(self._parser.feed(chunk))
        except SSEProtocolError as exc:
            self._raise(
                CodexFailure(
                    FailureKind.TRANSIENT,
                    f"malformed event stream ({exc})",
                    request_id=self.request_id,
                ),
                cause=exc,
            )

    async def _next_chunk(self) -> bytes:
        """The next piece of the body, within the idle limit of the stream's phase."""
        if self._started:
            async with asyncio.timeout(self._idle_timeout):
                return await anext(self._chunks)
        async with asyncio.timeout_at(self._first_bytes_by):
            chunk = await anext(self._chunks)
        self._started = True
        return chunk

    def _complete(self, event: ResponseEvent) -> None:
        self._finished = True
        self._pending.clear()
        try:
            self.completed = FinalResponse.model_validate(event.response or {})
        except ValidationError:
            self.completed = FinalResponse(status=event.type.removeprefix("response."))

    def _fail(self, event: ResponseEvent) -> NoReturn:
        failure = classify_stream_event(
            event, now=self._clock(), usage=self.usage, request_id=self.request_id
        )
        self._raise(failure)

    def _end_without_terminal(self) -> NoReturn:
        self._raise(
            CodexFailure(FailureKind.TRANSIENT, STREAM_CLOSED_EARLY, request_id=self.request_id)
        )

    def _raise(self, failure: CodexFailure, cause: BaseException | None = None) -> NoReturn:
        self._finished = True
        self._pending.clear()
        self.failure = failure
        raise failure from cause


class CodexClient:
    """Talks to ``{backend}/codex/responses``, ``/wham/usage`` and ``/codex/models``."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        http: httpx2.AsyncClient | None = None,
        originator: str = ORIGINATOR,
        user_agent: str | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        clock: Clock = time.time,
    ) -> None:
        self._endpoints = endpoints
        self._owns_http = http is None
        self._http = http if http is not None else httpx2.AsyncClient()
        self._originator = originator
        self._user_agent = user_agent or default_user_agent(originator)
        self._idle_timeout = idle_timeout
        self._connect_timeout = connect_timeout
        self._clock = clock

    @property
    def endpoints(self) -> Endpoints:
        return self._endpoints

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> CodexClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @asynccontextmanager
    async def stream(
        self,
        *,
        access_token: str,
        account_id: str | None,
        body: Mapping[str, Any],
        encoded: bytes | None = None,
        session_id: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        idle_timeout: float | None = None,
        first_bytes_timeout: float | None = None,
    ) -> AsyncIterator[ResponseStream]:
        """Open a streamed response; raises ``CodexFailure`` on a non-2xx answer.

        ``first_bytes_timeout`` (default: the idle limit) bounds the wait from sending the
        request to the first bytes of the answer's body; ``idle_timeout`` then bounds every
        silence between two reads. Either raises ``StreamStalled``. Leaving the block
        (normally, by ``break``, an exception or cancellation) closes the HTTP response at
        once, so the backend sees the connection go. ``encoded``: ``body``'s JSON as
        bytes already (a relayed client's own), sent as they are.
        """
        idle = self._idle_timeout if idle_timeout is None else idle_timeout
        first = idle if first_bytes_timeout is None else first_bytes_timeout
        first_bytes_by = asyncio.get_running_loop().time() + first
        # httpx's own read limit only backs up the stream's limits (an error body that
        # never ends, say); the stream enforces the limit of its phase itself.
        backstop = max(idle, first)
        headers = stream_headers(
            access_token=access_token,
            account_id=account_id,
            originator=self._originator,
            user_agent=self._user_agent,
            session_id=session_id,
            extra=extra_headers,
        )
        request = self._http.build_request(
            "POST",
            self._endpoints.responses_url,
            content=encoded if encoded is not None else _encoded(body),
            headers=headers,
            timeout=httpx2.Timeout(
                connect=self._connect_timeout,
                read=backstop,
                write=DEFAULT_WRITE_TIMEOUT,
                pool=backstop,
            ),
        )
        response = await self._open(request, first_bytes_by, first)
        if not response.is_success:
            try:
                raise await self._failure_from_response(response, model=_model_of(body))
            finally:
                await response.aclose()
        opened_at, model = self._clock(), _model_of(body)
        # The headers' quota is read once it is used (after the first output), not on the
        # way to it.
        stream = ResponseStream(
            response,
            usage=None,
            read_usage=lambda: parse_usage_headers(response.headers, opened_at, model=model),
            request_id=_request_id(response),
            idle_timeout=idle,
            first_bytes_by=first_bytes_by,
            first_bytes_timeout=first,
            clock=self._clock,
        )
        try:
            yield stream
        finally:
            await stream.aclose()

    async def fetch_usage(
        self,
        *,
        access_token: str,
        account_id: str | None,
        timeout: float = 10.0,  # noqa: ASYNC109 (a bound on the whole call, applied inside)
    ) -> UsageSnapshot:
        """``GET {backend}/wham/usage`` as a snapshot with ``source="endpoint"``."""
        headers = self._json_headers(access_token, account_id)
        response = await self._get(self._endpoints.usage_url, headers, timeout, what="usage")
        payload = _json_body(response, what="usage")
        try:
            return parse_usage_payload(payload, self._clock())
        except ValueError as exc:
            raise CodexFailure(
                FailureKind.TRANSIENT,
                "usage endpoint returned an unexpected body",
                status=response.status_code,
                request_id=_request_id(response),
            ) from exc

    async def fetch_models(
        self,
        *,
        access_token: str,
        account_id: str | None,
        timeout: float = 10.0,  # noqa: ASYNC109 (a bound on the whole call, applied inside)
    ) -> list[ModelInfo]:
        """``GET {backend}/codex/models?client_version=…``."""
        catalog = await self.fetch_model_catalog(
            access_token=access_token, account_id=account_id, timeout=timeout
        )
        assert catalog is not None  # without an etag the server cannot answer 304
        return catalog.models

    async def fetch_model_catalog(
        self,
        *,
        access_token: str,
        account_id: str | None,
        etag: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 (a bound on the whole call, applied inside)
    ) -> ModelCatalog | None:
        """The model list with its ETag; None when ``etag`` is still current (HTTP 304)."""
        headers = self._json_headers(access_token, account_id)
        headers["originator"] = self._originator
        if etag:
            headers["If-None-Match"] = etag
        url = f"{self._endpoints.models_url}?client_version={client_version()}"
        response = await self._get(url, headers, timeout, what="models", not_modified_ok=True)
        if response.status_code == 304:
            return None
        payload = _json_body(response, what="models")
        try:
            models = ModelListPayload.model_validate(payload).models
        except ValidationError as exc:
            raise CodexFailure(
                FailureKind.TRANSIENT,
                "models endpoint returned an unexpected body",
                status=response.status_code,
                request_id=_request_id(response),
            ) from exc
        return ModelCatalog(models=models, etag=response.headers.get("etag"))

    async def _open(
        self, request: httpx2.Request, deadline: float, seconds: float
    ) -> httpx2.Response:
        """Send a streamed request; the answer's headers must come by ``deadline``."""
        try:
            async with asyncio.timeout_at(deadline):
                return await self._send(request, stream=True)
        except TimeoutError as exc:
            raise StreamStalled(seconds, started=False) from exc

    def _json_headers(self, access_token: str, account_id: str | None) -> dict[str, str]:
        """The account's headers for a call answered in JSON."""
        headers = auth_headers(access_token, account_id, self._user_agent)
        headers["Accept"] = "application/json"
        return headers

    async def _send(self, request: httpx2.Request, *, stream: bool) -> httpx2.Response:
        try:
            return await self._http.send(request, stream=stream)
        except (httpx2.TransportError, httpx2.DecodingError) as exc:
            failure = classify_exception(exc)
            assert failure is not None
            raise failure from exc

    async def _get(
        self,
        url: str,
        headers: Mapping[str, str],
        seconds: float,
        *,
        what: str,
        not_modified_ok: bool = False,
    ) -> httpx2.Response:
        request = self._http.build_request(
            "GET", url, headers=headers, timeout=httpx2.Timeout(seconds)
        )
        try:
            async with asyncio.timeout(seconds):
                response = await self._send(request, stream=False)
        except TimeoutError as exc:
            raise CodexFailure(
                FailureKind.TRANSIENT, f"{what} request timed out after {seconds:g} s"
            ) from exc
        if response.is_success or (not_modified_ok and response.status_code == 304):
            return response
        raise classify_http_error(
            response.status_code,
            response.headers,
            response.content[:MAX_ERROR_BODY_BYTES],
            now=self._clock(),
            request_id=_request_id(response),
        )

    async def _failure_from_response(
        self, response: httpx2.Response, *, model: str | None = None
    ) -> CodexFailure:
        body = await _read_limited(response, MAX_ERROR_BODY_BYTES)
        return classify_http_error(
            response.status_code,
            response.headers,
            body,
            now=self._clock(),
            request_id=_request_id(response),
            model=model,
        )

    # -- rate-limit reset credits -------------------------------------------------------

    async def fetch_reset_credits(
        self,
        *,
        access_token: str,
        account_id: str | None,
        timeout: float = 10.0,  # noqa: ASYNC109 (a bound on the whole call, applied inside)
    ) -> ResetCreditList:
        """``GET {backend}/wham/rate-limit-reset-credits``: the credits banked."""
        headers = self._json_headers(access_token, account_id)
        url = f"{self._endpoints.backend_url}{RESET_CREDITS_PATH}"
        response = await self._get(url, headers, timeout, what="reset credits")
        return _parsed(ResetCreditList, response, what="reset credits")

    async def consume_reset_credit(
        self,
        *,
        access_token: str,
        account_id: str | None,
        redeem_request_id: str,
        timeout: float = 10.0,  # noqa: ASYNC109 (a bound on the whole call, applied inside)
    ) -> ConsumeResult:
        """``POST {backend}/wham/rate-limit-reset-credits/consume``: redeem one credit.

        ``redeem_request_id`` makes the call idempotent: after a lost answer send the same
        id again, never a new one, or a second credit may be spent.
        """
        headers = self._json_headers(access_token, account_id)
        headers["Content-Type"] = "application/json"
        body = json.dumps({"redeem_request_id": redeem_request_id}).encode()
        url = f"{self._endpoints.backend_url}{RESET_CREDITS_PATH}/consume"
        request = self._http.build_request(
            "POST", url, content=body, headers=headers, timeout=httpx2.Timeout(timeout)
        )
        try:
            async with asyncio.timeout(timeout):
                response = await self._send(request, stream=False)
        except TimeoutError as exc:
            raise CodexFailure(
                FailureKind.TRANSIENT, f"reset credit request timed out after {timeout:g} s"
            ) from exc
        if not response.is_success:
            raise classify_http_error(
                response.status_code,
                response.headers,
                response.content[:MAX_ERROR_BODY_BYTES],
                now=self._clock(),
                request_id=_request_id(response),
            )
        return _parsed(ConsumeResult, response, what="reset credit")


async def _read_limited(response: httpx2.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of an error body; a body cut short still classifies."""
    buffer = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            buffer += chunk
            if len(buffer) >= limit:
                break
    except (httpx2.TransportError, httpx2.DecodingError):
        pass
    return bytes(buffer[:limit])


def _model_of(body: Mapping[str, Any]) -> str | None:
    """The model a request asked for: a failure is read together with it (a Spark 429
    exhausts Spark's limit, a version gate concerns that model)."""
    model = body.get("model")
    return model if isinstance(model, str) else None


def _request_id(response: httpx2.Response) -> str | None:
    headers = response.headers
    return headers.get("x-oai-request-id") or headers.get("x-request-id") or None


def _json_body(response: httpx2.Response, *, what: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise CodexFailure(
            FailureKind.TRANSIENT,
            f"{what} endpoint returned a body that is not JSON",
            status=response.status_code,
            request_id=_request_id(response),
        ) from exc


_Wire = TypeVar("_Wire", bound=BaseModel)


def _parsed(model: type[_Wire], response: httpx2.Response, *, what: str) -> _Wire:
    payload = _json_body(response, what=what)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise CodexFailure(
            FailureKind.TRANSIENT,
            f"{what} endpoint returned an unexpected body",
            status=response.status_code,
            request_id=_request_id(response),
        ) from exc


def _encoded(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
