"""The selection index picks exactly the account the default strategy's full ranking picks,
and says so in the same words, for any pool, request and moment, also as time passes
resets and cooldowns by."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from multicodex.model import (
    SPARK_BUCKET,
    BucketCooldown,
    ModelGate,
    QuotaBucket,
    StoredAccount,
    TokenSet,
    UsageCredits,
    UsageSnapshot,
    UsageWindow,
)
from multicodex.selection import SelectionRequest, get_strategy
from multicodex.selection_index import SelectionIndex

NOW = 1_780_000_000.0
HOUR = 3600.0
SPARK = "gpt-5.3-codex-spark"
MODELS = (None, "gpt-5.2-codex", SPARK)

percents = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 37.5, 99.0, 100.0, 120.0]))
moments = st.one_of(st.none(), st.sampled_from([-HOUR, 0.5 * HOUR, 2 * HOUR, 30 * HOUR]))


@st.composite
def windows(draw: st.DrawFn) -> UsageWindow | None:
    used = draw(percents)
    if used is None:
        return None
    reset = draw(moments)
    return UsageWindow(used_percent=used, resets_at=None if reset is None else NOW + reset)


@st.composite
def accounts(draw: st.DrawFn, index: int) -> StoredAccount:
    usage = None
    if draw(st.booleans()):
        spark = QuotaBucket(five_hour=draw(windows()), weekly=draw(windows()))
        usage = UsageSnapshot(
            five_hour=draw(windows()),
            weekly=draw(windows()),
            credits=UsageCredits(has_credits=True) if draw(st.booleans()) else None,
            buckets={SPARK_BUCKET: spark} if draw(st.booleans()) else {},
            fetched_at=NOW - 60,
        )
    cooldown = draw(moments)
    spark_rest = draw(moments)
    gated = draw(st.booleans())
    return StoredAccount(
        key=f"u{index}@x|acct-{index}",
        email=f"u{index}@x",
        tokens=TokenSet(access_token="a", refresh_token="r", expires_at=NOW + HOUR),
        needs_reauth=draw(st.integers(0, 9)) == 0,
        cooldown_until=None if cooldown is None else NOW + cooldown,
        usage=usage,
        last_used_at=draw(st.one_of(st.none(), st.sampled_from([NOW - 50, NOW - 10]))),
        bucket_cooldowns={}
        if spark_rest is None
        else {SPARK_BUCKET: BucketCooldown(until=NOW + spark_rest, reason="Spark limit")},
        model_gates={}
        if not gated
        else {"gpt-5.2-codex": ModelGate(reason="plan", detail="not in plan", at=NOW - HOUR)},
        added_at=NOW - 1000,
    )


@st.composite
def pools(draw: st.DrawFn) -> list[StoredAccount]:
    count = draw(st.integers(0, 12))
    return [draw(accounts(i)) for i in range(count)]


@st.composite
def requests(draw: st.DrawFn, pool: list[StoredAccount], now: float) -> SelectionRequest:
    keys = [a.key for a in pool]
    some_key = st.one_of(st.none(), st.sampled_from(keys)) if keys else st.none()
    return SelectionRequest(
        accounts=pool,
        now=now,
        excluded=frozenset(draw(st.lists(st.sampled_from(keys), max_size=4)) if keys else []),
        pinned=draw(some_key),
        affinity=draw(some_key),
        sticky=draw(st.booleans()),
        model=draw(st.sampled_from(MODELS)),
        plan_models=draw(st.sampled_from([{}, {"plus": frozenset({"gpt-5.2-codex"})}])),
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_index_picks_what_the_full_ranking_picks(data: st.DataObject) -> None:
    pool = data.draw(pools())
    index = SelectionIndex()
    # The same index over moments that pass resets, cooldown ends and a gate's lifetime.
    for offset in (0.0, 0.0, HOUR, 1.5 * HOUR, 3 * HOUR, 40 * HOUR):
        request = data.draw(requests(pool, NOW + offset))
        expected = get_strategy("default").choose(request)
        assert index.pick(request, pool) == expected.key
        assert index.choose(request, pool) == expected


def test_a_new_list_of_accounts_is_ranked_afresh() -> None:
    def one(name: str, used: float) -> StoredAccount:
        return StoredAccount(
            key=f"{name}@x|acct-{name}",
            email=f"{name}@x",
            tokens=TokenSet(access_token="a", refresh_token="r", expires_at=NOW + HOUR),
            usage=UsageSnapshot(
                five_hour=UsageWindow(used_percent=used, resets_at=NOW + HOUR),
                fetched_at=NOW,
            ),
            added_at=NOW,
        )

    index = SelectionIndex()
    first = [one("a", 10.0), one("b", 20.0)]
    assert index.pick(SelectionRequest(accounts=first, now=NOW), first) == first[0].key
    second = [one("a", 30.0), one("b", 20.0)]
    assert index.pick(SelectionRequest(accounts=second, now=NOW), second) == second[1].key


def test_accounts_come_back_when_their_cooldown_ends_or_their_window_resets() -> None:
    def one(name: str, used: float, reset: float, cooldown: float | None) -> StoredAccount:
        return StoredAccount(
            key=f"{name}@x|acct-{name}",
            email=f"{name}@x",
            tokens=TokenSet(access_token="a", refresh_token="r", expires_at=NOW + HOUR),
            cooldown_until=None if cooldown is None else NOW + cooldown,
            usage=UsageSnapshot(
                five_hour=UsageWindow(used_percent=used, resets_at=NOW + reset),
                fetched_at=NOW,
            ),
            added_at=NOW,
        )

    resting = one("a", 5.0, 10 * HOUR, cooldown=HOUR)
    busy = one("b", 60.0, 2 * HOUR, cooldown=None)
    pool = [resting, busy]
    index = SelectionIndex()
    assert index.pick(SelectionRequest(accounts=pool, now=NOW), pool) == busy.key
    assert index.pick(SelectionRequest(accounts=pool, now=NOW + 1.5 * HOUR), pool) == resting.key
    # b's window has reset: untouched now, ahead of a's 5 %.
    assert index.pick(SelectionRequest(accounts=pool, now=NOW + 3 * HOUR), pool) == busy.key
