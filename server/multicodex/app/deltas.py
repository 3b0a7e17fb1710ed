"""The ``multicodex/completion/delta`` notifications of one stream, numbered from 0.

The rotation engine says which account served (text, switches, the result) but not which
one it picked first; the ``start`` delta therefore goes out just before the first event,
naming the account that event concerns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from multicodex.protocol import AccountRef, CompletionDelta, SwitchInfo
from multicodex.rotation.models import StallNotice, Switch, SwitchNotice, TextDelta, WaitNotice
from multicodex.selection import Selection

DeltaKind = Literal["start", "text", "reasoning", "switch", "notice"]


class DeltaStream:
    """Sends one stream's deltas in order and remembers what the result needs."""

    def __init__(
        self,
        stream_id: str,
        send: Callable[[CompletionDelta], None],
        refs: dict[str, AccountRef],
        predicted: Selection,
        clock: Callable[[], float],
    ) -> None:
        self._stream_id = stream_id
        self._send = send
        self._refs = refs
        self._predicted = predicted
        self._clock = clock
        self.count = 0
        self.current: AccountRef | None = None
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.switches: list[SwitchInfo] = []
        self.waited_seconds = 0.0

    def ref(self, key: str, name: str | None = None) -> AccountRef:
        return self._refs.get(key) or AccountRef(key=key, display_name=name or key)

    def account_concerned(self, name: str) -> AccountRef | None:
        """The account a failure concerns: the one serving, else the one named, else the
        one predicted to be chosen."""
        if self.current is not None:
            return self.current
        named = [ref for ref in self._refs.values() if name and ref.display_name == name]
        if named:
            return named[0]
        key = self._predicted.key
        return self._refs.get(key) if key is not None else None

    def on_text(self, event: TextDelta) -> None:
        account = self.ref(event.account_key)
        self.start(account)
        (self.text if event.kind == "text" else self.reasoning).append(event.text)
        self._emit(event.kind, event.text, account=account)

    def on_switch(self, notice: SwitchNotice) -> None:
        switch = notice.switch
        origin = self.ref(switch.from_key, switch.from_name) if switch.from_key else None
        target = self.ref(switch.to_key, switch.to_name)
        self.start(origin or target)
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
        self.start(None)
        self.waited_seconds += max(0.0, notice.until - self._clock())
        self._emit("notice", notice.reason, reason=notice.reason, until=notice.until)

    def on_stall(self, notice: StallNotice) -> None:
        account = self.ref(notice.account_key)
        self.start(account)
        self._emit("notice", notice.text, account=account, reason=notice.reason)

    def start(self, account: AccountRef | None) -> None:
        """Send the ``start`` delta once, before anything else."""
        if self.count:
            return
        self.current = account
        predicted = self._predicted
        if account is None:
            text, reason = "waiting for an account", predicted.reason
        elif account.key == predicted.key:
            text, reason = f"using {account.display_name}", predicted.reason
        else:
            text = f"using {account.display_name}"
            reason = f"{account.display_name}: the first account that accepted the request"
        self._emit("start", text, account=account, reason=reason)

    def _switch_info(
        self, switch: Switch, origin: AccountRef | None, target: AccountRef
    ) -> SwitchInfo:
        return SwitchInfo(
            from_account=origin or target,
            to_account=target,
            reason=switch.reason,
            failure=None,
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
        )
        self.count += 1
        self._send(delta)
