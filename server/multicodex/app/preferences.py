"""Footer and rotation settings: what is in force, previews, and changes (saved to the
store, or for this server only)."""

from __future__ import annotations

from collections.abc import Callable

from multicodex.app.errors import invalid_field
from multicodex.app.session import SessionOverrides
from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.status import footer_line
from multicodex.model import FooterSettings, RotationPolicy
from multicodex.protocol import (
    FooterInfo,
    FooterPatch,
    FooterPreview,
    FooterSetParams,
    RotationInfo,
    RotationPatch,
    RotationSetParams,
    StrategyInfo,
)
from multicodex.selection import STRATEGIES, get_strategy
from multicodex.store.backend import StoreBackend
from multicodex.timefmt import in_words


class Preferences:
    def __init__(
        self,
        store: StoreBackend,
        overrides: SessionOverrides,
        snapshot: Callable[[], PoolSnapshot],
        changed: Callable[[], None],
    ) -> None:
        self._store = store
        self._overrides = overrides
        self._snapshot = snapshot
        self._changed = changed

    # -- rotation -----------------------------------------------------------------------

    def rotation(self) -> RotationInfo:
        policy = self._snapshot().policy
        return RotationInfo(
            policy=policy,
            strategies=[StrategyInfo(name=n, description=d) for n, d in STRATEGIES.items()],
            description=describe_policy(policy),
        )

    async def set_rotation(self, params: RotationSetParams) -> RotationInfo:
        if params.strategy is not None and params.strategy not in STRATEGIES:
            known = ", ".join(STRATEGIES)
            raise invalid_field("strategy", f"must be one of {known}")
        patch = RotationPatch.model_validate(params.model_dump(exclude={"persist"}))
        if params.persist:
            changes = patch.model_dump(exclude_none=True)
            async with self._store.atransaction() as doc:
                current = doc.settings.rotation.model_dump()
                doc.settings.rotation = RotationPolicy.model_validate({**current, **changes})
            self._overrides.release_rotation(patch)
        else:
            self._overrides.override_rotation(patch)
        self._changed()
        return self.rotation()

    # -- footer -------------------------------------------------------------------------

    def footer(self) -> FooterInfo:
        snapshot = self._snapshot()
        return FooterInfo(
            settings=snapshot.footer,
            line=footer_line(snapshot),
            session_override=self._overrides.footer_overridden,
        )

    def preview(self, patch: FooterPatch) -> FooterPreview:
        snapshot = self._snapshot()
        draft = _patched(snapshot.footer, patch)
        return FooterPreview(settings=draft, line=footer_line(snapshot, draft))

    async def set_footer(self, params: FooterSetParams) -> FooterInfo:
        patch = FooterPatch.model_validate(params.model_dump(exclude={"persist"}))
        if params.persist:
            async with self._store.atransaction() as doc:
                doc.settings.footer = _patched(doc.settings.footer, patch)
            self._overrides.release_footer(patch)
        else:
            self._overrides.override_footer(patch)
        self._changed()
        return self.footer()


def describe_policy(policy: RotationPolicy) -> list[str]:
    """The behaviour in force, one sentence per line (the original's ``rotation`` text)."""
    order = ["a pinned account first"]
    if policy.sticky:
        order.append("then the conversation's account while it is healthy")
    strategy = get_strategy(policy.strategy)
    unknown = "" if strategy.name == policy.strategy else f" ({policy.strategy!r} is unknown)"
    order.append(f"then the {strategy.name} strategy{unknown}: {strategy.description}")
    return [
        f"Current policy: {', '.join(order)}.",
        "If token validation fails before a request starts, MultiCodex skips that account "
        "and retries another one.",
        "If a request hits a quota or rate limit before any output streams, MultiCodex puts "
        "the account on cooldown until its reset "
        f"({in_words(policy.fallback_cooldown_seconds)} when unknown) and retries, at most "
        f"{policy.retry_limit} times.",
        "A 400 error is never retried on another account: it would fail everywhere.",
        "If an account has not started answering within "
        f"{in_words(policy.first_output_timeout_seconds)}, or sends nothing for "
        f"{in_words(policy.stall_timeout_seconds)} before any output, MultiCodex says so and "
        "tries another account; once output has streamed, such a silence ends the request "
        "with an error.",
        _when_exhausted(policy),
    ]


def _when_exhausted(policy: RotationPolicy) -> str:
    """What happens once every included quota is used up, in words."""
    if policy.when_exhausted == "reset-credit":
        how = (
            "without asking"
            if policy.reset_credit_confirm == "automatic"
            else "after asking you (never without an answer)"
        )
        return (
            "When every account's included quota is used up, MultiCodex spends one banked "
            f"reset credit on the account whose reset is furthest away, {how}, and serves the "
            "request there."
        )
    if policy.when_exhausted == "paid-credits":
        return (
            "When every account's included quota is used up, MultiCodex serves the request "
            "from an account that has paid credits (spending them)."
        )
    return (
        "When every account's included quota is used up, MultiCodex waits for the earliest "
        "reset (or says when it is); it never spends reset credits or paid credits."
    )


def _patched(settings: FooterSettings, patch: FooterPatch) -> FooterSettings:
    return FooterSettings.model_validate(
        {**settings.model_dump(), **patch.model_dump(exclude_none=True)}
    )
