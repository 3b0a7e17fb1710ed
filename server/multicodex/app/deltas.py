"""The ``multicodex/completion/delta`` notifications of one stream, numbered from 0.

Each comes from an event of the rotation engine: the first attempt is the ``start`` delta
(the account and why), then text, switches (with the failure that caused them) and
notices (a failure that passes, a wait for a reset).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic_core import to_json

from multicodex.preflight import Preflight
from multicodex.protocol import AccountRef, CompletionDelta, SwitchInfo, ToolCall
from multicodex.rotation.models import (
    AttemptStarted,
    FailureNotice,
    Switch,
    SwitchNotice,
    TextDeltas,
    ToolCallDelta,
    WaitNotice,
)

DeltaKind = Literal["start", "text", "reasoning", "tool_call", "switch", "notice"]


class DeltaStream:
    """Sends one stream's deltas in order and remembers what the result needs."""

    def __init__(
        self,
        stream_id: str,
        send: Callable[[CompletionDelta], None],
        lookup: Callable[[str], AccountRef | None],
        clock: Callable[[], float],
        *,
        send_json: Callable[[list[bytes]], None] | None = None,
    ) -> None:
        self._stream_id = stream_id
        self._send = send
        self._send_json = send_json
        self._text_json: dict[tuple[str, str], tuple[bytes, bytes, bytes]] = {}
        """Per kind and account: the JSON of a text delta around its seq and text."""
        self._lookup = lookup
        self._refs: dict[str, AccountRef] = {}
        """The accounts this stream named so far (a pool may hold thousands)."""
        self._clock = clock
        self.count = 0
        self.current: AccountRef | None = None
        self.switches: list[SwitchInfo] = []
        self.waited_seconds = 0.0

    def ref(self, key: str, name: str | None = None) -> AccountRef:
        known = self._refs.get(key)
        if known is None:
            known = self._lookup(key) or AccountRef(key=key, display_name=name or key)
            self._refs[key] = known
        return known

    def account_concerned(self, key: str | None) -> AccountRef:
        """The account a failure concerns: the one the engine names, else the one serving."""
        if key:
            return self.ref(key)
        return self.current or AccountRef(key="", display_name="unknown")

    def on_attempt(self, event: AttemptStarted) -> None:
        account = self.ref(event.account_key, event.account_name)
        self._start(account, event.reason, event.preflight)
        self.current = account

    def on_text(self, event: TextDeltas) -> None:
        account = self.ref(event.account_key)
        if self._send_json is None:
            for text in event.texts:
                self._emit(event.kind, text, account=account)
            return
        head, middle, tail = self._text_parts(event.kind, account)
        first = self.count
        self.count += len(event.texts)
        self._send_json(
            [
                b"%s%d%s%s%s" % (head, seq, middle, to_json(text), tail)
                for seq, text in enumerate(event.texts, first)
            ]
        )

    def _text_parts(self, kind: str, account: AccountRef) -> tuple[bytes, bytes, bytes]:
        """What `CompletionDelta.model_dump_json` writes around a text delta's seq and
        text (the field order and the nulls of the model; the tests hold the two equal)."""
        parts = self._text_json.get((kind, account.key))
        if parts is None:
            head = b'{"stream_id":%s,"seq":' % to_json(self._stream_id)
            middle = b',"kind":%s,"text":' % to_json(kind)
            tail = (
                b',"account":%s,"from_account":null,"reason":null,"until":null,"tool_call":null}'
                % account.model_dump_json().encode()
            )
            parts = self._text_json[(kind, account.key)] = (head, middle, tail)
        return parts

    def on_tool_call(self, event: ToolCallDelta) -> None:
        call = ToolCall(call_id=event.call_id, name=event.name, arguments=event.arguments)
        self._emit("tool_call", event.name, account=self.ref(event.account_key), tool_call=call)

    def on_switch(self, notice: SwitchNotice) -> None:
        switch = notice.switch
        origin = self.ref(switch.from_key, switch.from_name) if switch.from_key else None
        target = self.ref(switch.to_key, switch.to_name)
        self.switches.append(self._switch_info(switch, origin, target))
        self.current = target
        text = f"switched from {origin.display_name} to {target.display_name}" if origin else ""
        self._emit(
            "switch",
            text or f"switched to {target.display_name}",
            account=target,
            from_account=origin,
            reason=switch.reason,
        )

    def on_wait(self, notice: WaitNotice) -> None:
        self._start(None, notice.reason)
        self.waited_seconds += max(0.0, notice.until - self._clock())
        self._emit("notice", notice.reason, reason=notice.reason, until=notice.until)

    def on_failure(self, notice: FailureNotice) -> None:
        account = self.ref(notice.account_key)
        self._emit("notice", notice.text, account=account, reason=notice.failure.message)

    def _start(
        self, account: AccountRef | None, reason: str, preflight: Preflight | None = None
    ) -> None:
        """Send the ``start`` delta once, before anything else, with the pre-flight's
        warning when this turn may use up the account's room (and the pool's earliest
        reset as ``until`` when it may use up the pool's)."""
        if self.count:
            return
        text = f"using {account.display_name}" if account else "waiting for an account"
        if preflight is not None:
            text += f"; {preflight.text}"
        until = preflight.earliest_reset if preflight is not None else None
        self._emit("start", text, account=account, reason=reason, until=until)

    def _switch_info(
        self, switch: Switch, origin: AccountRef | None, target: AccountRef
    ) -> SwitchInfo:
        return SwitchInfo(
            from_account=origin or target,
            to_account=target,
            reason=switch.reason,
            failure=switch.failure.kind if switch.failure else None,
            at=self._clock(),
        )

    def _emit(
        self,
        kind: DeltaKind,
        text: str,
        *,
        account: AccountRef | None = None,
        from_account: AccountRef | None = None,
        reason: str | None = None,
        until: float | None = None,
        tool_call: ToolCall | None = None,
    ) -> None:
        delta = CompletionDelta(
            stream_id=self._stream_id,
            seq=self.count,
            kind=kind,
            text=text,
            account=account,
            from_account=from_account,
            reason=reason,
            until=until,
            tool_call=tool_call,
        )
        self.count += 1
        self._send(delta)
