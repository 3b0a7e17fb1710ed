"""Small text helpers for the human output (times are shown in UTC, like the server's
reasons)."""

from __future__ import annotations

from multicodex.model import UsageWindow
from multicodex.protocol import AccountInfo
from multicodex.timefmt import ago, clock_time, relative_reset, until

NONE = "-"


def window(window: UsageWindow | None, now: float) -> str:
    if window is None:
        return "unknown"
    used = f"{window.used_percent:.0f}% used"
    if window.resets_at is None:
        return used
    relative = relative_reset(window.resets_at, now)
    return f"{used}, resets {clock_time(window.resets_at, now)} ({relative})"


def account_details(account: AccountInfo, now: float) -> list[str]:
    """Everything known about one account, one fact a line (for `accounts <identifier>`)."""
    usage = account.usage
    facts: list[tuple[str, str]] = [
        ("email", account.email or NONE),
        ("label", account.label or NONE),
        ("plan", account.plan or NONE),
        ("account id", account.account_id or NONE),
        ("state", account.state.replace("_", " ")),
        ("5h window", window(usage.five_hour if usage else None, now)),
        ("weekly window", window(usage.weekly if usage else None, now)),
        ("usage as of", _usage_age(account)),
    ]
    if account.usage_error:
        facts.append(("last usage error", account.usage_error))
    if account.cooldown_until is not None:
        reason = f" - {account.cooldown_reason}" if account.cooldown_reason else ""
        facts.append(("cooldown until", until(account.cooldown_until, now) + reason))
    if account.reauth_reason:
        facts.append(("needs re-auth", account.reauth_reason))
    facts.append(("source", _source(account)))
    facts.append(("added", clock_time(account.added_at, now)))
    last_used = account.last_used_at
    facts.append(("last used", clock_time(last_used, now) if last_used is not None else "never"))
    width = max(len(name) for name, _ in facts)
    return [f"  {name + ':':<{width + 1}} {value}" for name, value in facts]


def _usage_age(account: AccountInfo) -> str:
    usage = account.usage
    if usage is None:
        return "never fetched"
    stale = ", stale" if usage.stale else ""
    return f"{ago(usage.age_seconds)} (from {usage.source}{stale})"


def _source(account: AccountInfo) -> str:
    source = account.source
    if source is None or source.kind == "login":
        return "MultiCodex login"
    linked = "linked" if source.linked else "not linked"
    return f"{source.kind} {source.path or ''} ({linked})".replace("  ", " ")
