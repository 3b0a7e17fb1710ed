"""Small text helpers for the human output (times are shown in UTC, like the server's
reasons)."""

from __future__ import annotations

from multicodex.footer import percent_phrase
from multicodex.headroom import NamedWindow, named_windows, upcoming_reset
from multicodex.model import UsageMode
from multicodex.protocol import AccountInfo
from multicodex.timefmt import ago, clock_time, until

NONE = "-"


def window(named: NamedWindow, usage_mode: UsageMode, now: float) -> str:
    """``88% left, resets 14:05 UTC (in 2h10m)``: the footer's percentage, and the reset."""
    percent = percent_phrase(named, usage_mode, now)
    reset = upcoming_reset(named.window, now)
    return percent if reset is None else f"{percent}, resets {until(reset, now)}"


def state_text(account: AccountInfo, now: float) -> str:
    if account.state != "at_limit":
        return account.state.replace("_", " ")
    if account.limit_until is None:
        return "at its limit (reset unknown)"
    return f"at its limit until {until(account.limit_until, now)}"


def account_details(account: AccountInfo, usage_mode: UsageMode, now: float) -> list[str]:
    """Everything known about one account, one fact a line (for `accounts <identifier>`)."""
    usage = account.usage
    windows = named_windows(usage)
    facts: list[tuple[str, str]] = [
        ("email", account.email or NONE),
        ("label", account.label or NONE),
        ("plan", account.plan or NONE),
        ("account id", account.account_id or NONE),
        ("state", state_text(account, now)),
        *((f"{w.name} window", window(w, usage_mode, now)) for w in windows),
        *_bucket_facts(account, usage_mode, now),
        ("usage as of", _usage_age(account)),
    ]
    if usage is not None and usage.reset_credits is not None:
        facts.append(("reset credits", str(usage.reset_credits)))
    if account.usage_error:
        facts.append(("last usage error", account.usage_error))
    if account.cooldown_until is not None:
        reason = f" - {account.cooldown_reason}" if account.cooldown_reason else ""
        facts.append(("cooldown until", until(account.cooldown_until, now) + reason))
    if account.reauth_reason:
        facts.append(("needs re-auth", account.reauth_reason))
    facts += [("blocked", block.reason) for block in account.model_blocks]
    facts.append(("source", _source(account)))
    facts.append(("added", clock_time(account.added_at, now)))
    last_used = account.last_used_at
    facts.append(("last used", clock_time(last_used, now) if last_used is not None else "never"))
    width = max(len(name) for name, _ in facts)
    return [f"  {name + ':':<{width + 1}} {value}" for name, value in facts]


def _bucket_facts(account: AccountInfo, usage_mode: UsageMode, now: float) -> list[tuple[str, str]]:
    """A model's own limit (Spark's), one line a window: ``Spark 5h window``."""
    buckets = account.usage.buckets if account.usage is not None else []
    return [
        (f"{bucket.label} {named.name} window", window(named, usage_mode, now))
        for bucket in buckets
        for named in named_windows(bucket)
    ]


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
