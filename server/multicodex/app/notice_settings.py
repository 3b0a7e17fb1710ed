"""The usage notice thresholds: what is in force, and changes (saved to the store, so
every editor window and command follows)."""

from __future__ import annotations

from collections.abc import Callable

from multicodex.model.settings import UsageNoticeSettings
from multicodex.protocol import UsageNoticesInfo, UsageNoticesSetParams
from multicodex.store.backend import StoreBackend


class NoticeSettings:
    def __init__(self, store: StoreBackend, current: Callable[[], UsageNoticeSettings]) -> None:
        self._store = store
        self._current = current

    def info(self) -> UsageNoticesInfo:
        chosen = self._current()
        return UsageNoticesInfo(
            thresholds=chosen.thresholds,
            margin=chosen.margin,
            description=describe_notices(chosen),
        )

    async def set(self, params: UsageNoticesSetParams) -> UsageNoticesInfo:
        changes = params.model_dump(exclude_none=True)
        if changes:
            async with self._store.atransaction() as doc:
                current = doc.settings.usage_notices.model_dump()
                doc.settings.usage_notices = UsageNoticeSettings.model_validate(
                    {**current, **changes}
                )
        return self.info()


def describe_notices(chosen: UsageNoticeSettings) -> str:
    if not chosen.thresholds:
        return "No usage notices are sent."
    percents = " and ".join(f"{t}%" for t in chosen.thresholds)
    return (
        f"One notice when the active account or the pool reaches {percents} of a window "
        f"used; again only after use falls {chosen.margin:g} points below it or the window "
        "resets."
    )
