"""Stored accounts as the protocol shows them. Pure: ``now`` is always a parameter."""

from __future__ import annotations

from multicodex.config import client_version
from multicodex.footer import format_status_line, format_usage_line
from multicodex.headroom import cooldown_of, limit_of, named_windows
from multicodex.model import (
    SPARK_BUCKET,
    QuotaBucket,
    StoredAccount,
    UsageMode,
    UsageSnapshot,
    bucket_label,
)
from multicodex.model_access import account_blocks
from multicodex.protocol import (
    AccountInfo,
    AccountRef,
    AccountSource,
    AccountState,
    AccountTag,
    AccountUsage,
    ActiveAccount,
    BucketUsage,
    ModelBlockInfo,
)
from multicodex.selection import Selection


def account_ref(account: StoredAccount) -> AccountRef:
    return AccountRef(key=account.key, display_name=account.display_name)


def usage_is_stale(account: StoredAccount, now: float, ttl: float) -> bool:
    """Older than the cache lifetime, or a fetch failed after it was taken."""
    usage = account.usage
    if usage is None:
        return False
    failed_later = account.usage_error_at is not None and account.usage_error_at > usage.fetched_at
    return now - usage.fetched_at >= ttl or failed_later


def account_usage(
    account: StoredAccount, now: float, ttl: float, usage_mode: UsageMode
) -> AccountUsage | None:
    usage = account.usage
    if usage is None:
        return None
    short, long = named_windows(usage)
    return AccountUsage(
        plan_type=usage.plan_type,
        five_hour=usage.five_hour,
        five_hour_label=short.name,
        weekly=usage.weekly,
        weekly_label=long.name,
        limit_reached=usage.limit_reached,
        buckets=bucket_usages(usage, usage_mode, now),
        reset_credits=usage.reset_credits,
        fetched_at=usage.fetched_at,
        age_seconds=max(0.0, now - usage.fetched_at),
        stale=usage_is_stale(account, now, ttl),
        source=usage.source,
    )


def bucket_usages(usage: UsageSnapshot, usage_mode: UsageMode, now: float) -> list[BucketUsage]:
    """The account's model-scoped limits (Spark's), Spark first, then by id."""
    ordered = sorted(usage.buckets.items(), key=lambda item: (item[0] != SPARK_BUCKET, item[0]))
    return [_bucket_usage(bucket_id, bucket, usage_mode, now) for bucket_id, bucket in ordered]


def _bucket_usage(
    bucket_id: str, bucket: QuotaBucket, usage_mode: UsageMode, now: float
) -> BucketUsage:
    short, long = named_windows(bucket)
    label = bucket_label(bucket_id)
    return BucketUsage(
        bucket=bucket_id,
        label=label,
        limit_name=bucket.limit_name,
        five_hour=bucket.five_hour,
        five_hour_label=short.name,
        weekly=bucket.weekly,
        weekly_label=long.name,
        limit_reached=bucket.limit_reached,
        usage_line=format_usage_line(bucket, usage_mode, now, label=label),
    )


def is_cooling_down(account: StoredAccount, now: float) -> bool:
    return cooldown_of(account, now) is not None


def is_at_limit(account: StoredAccount, now: float) -> bool:
    """A window at 100 % as of now, with no cooldown saying so already."""
    return not is_cooling_down(account, now) and limit_of(account.usage, now) is not None


def account_state(account: StoredAccount, now: float, active_key: str | None) -> AccountState:
    if account.needs_reauth:
        return "needs_reauth"
    if is_cooling_down(account, now):
        return "cooldown"
    if is_at_limit(account, now):
        return "at_limit"
    return "active" if account.key == active_key else "available"


def account_tags(
    account: StoredAccount,
    *,
    now: float,
    ttl: float,
    active_key: str | None,
    pinned_key: str | None,
) -> list[AccountTag]:
    """The tags that apply, in the protocol's order."""
    usage = account.usage
    conditions: list[tuple[AccountTag, bool]] = [
        ("active", account.key == active_key),
        ("manual", account.key == pinned_key),
        ("needs_reauth", account.needs_reauth),
        ("quota", is_cooling_down(account, now)),
        ("at_limit", is_at_limit(account, now)),
        ("untouched", usage is not None and usage.untouched),
        ("stale", usage_is_stale(account, now, ttl)),
        ("linked", account.source is not None and account.source.linked),
    ]
    return [tag for tag, applies in conditions if applies]


def account_source(account: StoredAccount) -> AccountSource:
    """Accounts without a link were added by a MultiCodex login."""
    link = account.source
    if link is None or link.kind == "login":
        return AccountSource(kind="login", path=None, linked=False)
    return AccountSource(kind=link.kind, path=link.path, linked=link.linked)


def account_info(
    account: StoredAccount,
    *,
    now: float,
    ttl: float,
    active_key: str | None,
    pinned_key: str | None,
    usage_mode: UsageMode,
) -> AccountInfo:
    tags = account_tags(account, now=now, ttl=ttl, active_key=active_key, pinned_key=pinned_key)
    shown_tags = [tag.replace("_", " ") for tag in tags]
    cooling = is_cooling_down(account, now)
    limit = limit_of(account.usage, now) if not cooling else None
    return AccountInfo(
        key=account.key,
        display_name=account.display_name,
        email=account.email,
        plan=account.plan,
        label=account.label,
        account_id=account.account_id,
        state=account_state(account, now, active_key),
        tags=tags,
        is_active=account.key == active_key,
        is_pinned=account.key == pinned_key,
        cooldown_until=account.cooldown_until if cooling else None,
        cooldown_reason=account.cooldown_reason if cooling else None,
        limit_until=limit.until if limit is not None else None,
        reauth_reason=(account.reauth_reason or "re-authentication required")
        if account.needs_reauth
        else None,
        usage=account_usage(account, now, ttl, usage_mode),
        usage_error=account.usage_error,
        usage_error_at=account.usage_error_at,
        source=account_source(account),
        added_at=account.added_at,
        last_used_at=account.last_used_at,
        status_line=format_status_line(
            account.display_name, account.usage, shown_tags, usage_mode, now
        ),
        usage_line=format_usage_line(account.usage, usage_mode, now),
        model_blocks=model_blocks(account, now),
    )


def model_blocks(account: StoredAccount, now: float) -> list[ModelBlockInfo]:
    """The account's gates and model limits cooling down, as selection words them."""
    return [
        ModelBlockInfo(model=b.model, bucket=b.bucket, reason=b.block.text, until=b.block.until)
        for b in account_blocks(account, now=now, client_version=client_version())
    ]


def active_account(selection: Selection, names: dict[str, str]) -> ActiveAccount | None:
    """The selection's choice as the protocol shows it; None when nothing is available."""
    if selection.key is None:
        return None
    return ActiveAccount(
        key=selection.key,
        display_name=names.get(selection.key, selection.key),
        reason=selection.why,
        rule=selection.rule,
        strategy=selection.strategy,
        pinned=selection.rule == "pinned",
    )
