"""The closed set of ways a call to the Codex backend can fail."""

from __future__ import annotations

from multicodex.model import FailureKind, ModelGateReason, UsageSnapshot


class CodexFailure(Exception):
    """A classified failure. Messages never contain tokens."""

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        resets_at: float | None = None,
        retry_after: float | None = None,
        usage: UsageSnapshot | None = None,
        request_id: str | None = None,
        model: str | None = None,
        bucket: str | None = None,
        gate: ModelGateReason | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
        self.resets_at = resets_at
        self.retry_after = retry_after
        self.usage = usage
        self.request_id = request_id
        self.model = model
        """The model the request asked for (the gated model for ``MODEL_GATED``)."""
        self.bucket = bucket
        """For a quota 429: the exhausted limit (``quota.bucket_for_model``); a bucket
        other than the general one leaves the account serving other models."""
        self.gate = gate
        """For ``MODEL_GATED``: ``version`` (needs a newer client) or ``plan``."""

    def __repr__(self) -> str:
        return f"CodexFailure({self.kind.value}, status={self.status}, code={self.code!r})"


class StreamStalled(CodexFailure):
    """The backend sent nothing for ``seconds``: before its first event (``started`` is
    False: no answer at all) or between two events of an answer under way. Transient: the
    caller decides whether another attempt may follow."""

    def __init__(self, seconds: float, *, started: bool, request_id: str | None = None) -> None:
        what = (
            f"the backend sent nothing for {seconds:g} s mid-stream"
            if started
            else f"no answer from the backend within {seconds:g} s"
        )
        super().__init__(FailureKind.TRANSIENT, what, request_id=request_id)
        self.seconds = seconds
        self.started = started
