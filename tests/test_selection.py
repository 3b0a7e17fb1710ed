"""Account selection: the original's ranking cases, pin and stickiness, and properties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multicodex.model import (
    SPARK_BUCKET,
    BucketCooldown,
    ModelGate,
    StoredAccount,
    TokenSet,
    UsageSnapshot,
    UsageWindow,
)
from multicodex.selection import (
    STRATEGIES,
    Selection,
    SelectionRequest,
    SkippedAccount,
    availability,
    get_strategy,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()  # a Monday
HOUR = 3600.0
DAY = 24 * HOUR


def snapshot(
    five: float | None = None,
    weekly: float | None = None,
    *,
    five_reset: float | None = None,
    weekly_reset: float | None = None,
) -> UsageSnapshot:
    return UsageSnapshot(
        five_hour=None if five is None else UsageWindow(used_percent=five, resets_at=five_reset),
        weekly=None if weekly is None else UsageWindow(used_percent=weekly, resets_at=weekly_reset),
        fetched_at=NOW - 60,
    )


def account(
    name: str,
    usage: UsageSnapshot | None = None,
    *,
    needs_reauth: bool = False,
    cooldown_until: float | None = None,
) -> StoredAccount:
    email = f"{name}@x"
    return StoredAccount(
        key=f"{email}|acct-{name}",
        email=email,
        tokens=TokenSet(access_token="a", refresh_token="r", expires_at=NOW + HOUR),
        needs_reauth=needs_reauth,
        cooldown_until=cooldown_until,
        usage=usage,
        added_at=NOW - DAY,
    )


def choose(accounts: list[StoredAccount], strategy: str = "default", **kwargs: object) -> Selection:
    request = SelectionRequest.model_validate({"accounts": accounts, "now": NOW, **kwargs})
    return get_strategy(strategy).choose(request)


def key(name: str) -> str:
    return f"{name}@x|acct-{name}"


# --- the original's selection cases (index.test.ts) ---------------------------------------


def test_untouched_beats_touched() -> None:
    touched = account("touched", snapshot(5, 3, weekly_reset=NOW + 1000))
    fresh = account("fresh", snapshot(0, 0, weekly_reset=NOW + 9000))
    sel = choose([touched, fresh])
    assert sel.key == key("fresh")
    assert sel.rule == "untouched"
    assert sel.reason == "fresh@x: untouched"


def test_lower_usage_with_earlier_weekly_reset_wins() -> None:
    later = account("later", snapshot(20, 20, weekly_reset=NOW + 9000))
    earlier = account("earlier", snapshot(10, 10, weekly_reset=NOW + 8000))
    sel = choose([later, earlier])
    assert sel.key == key("earlier")
    assert sel.rule == "lowest_usage"


def test_five_hour_reset_is_ignored_by_the_ranking() -> None:
    soon_5h = account("soon5h", snapshot(13, 13, five_reset=NOW + HOUR, weekly_reset=NOW + 6 * DAY))
    low = account("low", snapshot(9, 9, five_reset=NOW + 4 * HOUR, weekly_reset=NOW + 5 * DAY))
    assert choose([soon_5h, low]).key == key("low")


def test_without_usage_data_the_choice_is_deterministic_pool_order() -> None:
    pool = [account("first"), account("second"), account("third")]
    picks = {choose(pool).key for _ in range(20)}
    assert picks == {key("first")}
    sel = choose(pool)
    assert sel.rule == "no_usage_data"
    assert "first@x" in sel.reason


def test_account_on_cooldown_is_skipped_even_if_untouched() -> None:
    cooling = account("cooling", snapshot(0, 0), cooldown_until=NOW + 2 * HOUR + 300)
    busy = account("busy", snapshot(50, 60, weekly_reset=NOW + DAY))
    sel = choose([cooling, busy])
    assert sel.key == key("busy")
    assert sel.skipped == [
        SkippedAccount(key=key("cooling"), why="cooldown", until=NOW + 2 * HOUR + 300)
    ]
    assert "cooling@x on cooldown until 14:05 UTC" in sel.reason


def test_lower_usage_beats_earlier_weekly_reset() -> None:
    heavy_soon = account("heavy", snapshot(80, 80, weekly_reset=NOW + 6000))
    light_late = account("light", snapshot(10, 10, weekly_reset=NOW + 9000))
    assert choose([heavy_soon, light_late]).key == key("light")


def test_equal_usage_earlier_weekly_reset_wins() -> None:
    late = account("late", snapshot(30, 30, weekly_reset=NOW + 9000))
    soon = account("soon", snapshot(30, 30, weekly_reset=NOW + 6000))
    assert choose([late, soon]).key == key("soon")


def test_equal_usage_and_reset_falls_back_to_pool_order() -> None:
    first = account("first", snapshot(30, 30, weekly_reset=NOW + 6000))
    second = account("second", snapshot(30, 30, weekly_reset=NOW + 6000))
    assert choose([first, second]).key == key("first")
    assert choose([second, first]).key == key("second")


def test_ranking_uses_the_fuller_window() -> None:
    five_hour_heavy = account("fiveheavy", snapshot(70, 5, weekly_reset=NOW + DAY))
    weekly_heavy = account("weeklyheavy", snapshot(5, 40, weekly_reset=NOW + 2 * DAY))
    assert choose([five_hour_heavy, weekly_heavy]).key == key("weeklyheavy")


def test_accounts_without_data_only_when_no_account_with_data_has_headroom() -> None:
    unknown = account("unknown")
    known = account("known", snapshot(60, 60, weekly_reset=NOW + DAY))
    assert choose([unknown, known]).key == key("known")


def test_known_exhausted_account_comes_after_unknown_ones() -> None:
    full = account("full", snapshot(100, 40, five_reset=NOW + HOUR, weekly_reset=NOW + DAY))
    unknown = account("unknown")
    sel = choose([full, unknown])
    assert sel.key == key("unknown")
    assert sel.rule == "no_usage_data"


def test_only_exhausted_accounts_left_is_a_last_resort_not_nothing() -> None:
    full = account("full", snapshot(100, 40, five_reset=NOW + HOUR))
    fuller = account("fuller", snapshot(100, 100, five_reset=NOW + HOUR))
    sel = choose([fuller, full])
    assert sel.key is not None
    assert sel.rule == "last_resort"


def test_a_window_whose_reset_has_passed_counts_as_empty() -> None:
    reset_since = account("reset", snapshot(40, 0, five_reset=NOW - 60, weekly_reset=NOW + DAY))
    light = account("light", snapshot(2, 2, weekly_reset=NOW + DAY))
    sel = choose([light, reset_since])
    assert sel.key == key("reset")
    assert sel.rule == "untouched"


def test_expired_cooldown_counts_as_available() -> None:
    was_cooling = account("was", snapshot(0, 0), cooldown_until=NOW)
    assert availability(was_cooling, NOW) == "available"
    sel = choose([was_cooling])
    assert sel.key == key("was")
    assert sel.skipped == []


def test_lowest_usage_reason_names_the_pick_and_the_skipped() -> None:
    tuesday_0900 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC).timestamp()
    alice = account("alice", snapshot(12, 7, weekly_reset=tuesday_0900))
    bob = account("bob", snapshot(0, 0), cooldown_until=NOW + 2 * HOUR + 5 * 60)
    carol = account("carol", snapshot(50, 50, weekly_reset=NOW + DAY))
    sel = choose([bob, alice, carol])
    assert sel.reason == (
        "alice@x: lowest usage: 12% of its 5h window used (weekly resets Tue 09:00 UTC); "
        "bob@x on cooldown until 14:05 UTC"
    )


def test_skipped_reasons_are_brief() -> None:
    pool = [account(f"gone{i}", needs_reauth=True) for i in range(5)] + [account("ok")]
    sel = choose(pool)
    assert sel.key == key("ok")
    assert sel.reason.endswith("gone2@x needs re-auth; 2 more unavailable")
    assert len(sel.skipped) == 5


# --- availability ---------------------------------------------------------------------------


def test_availability_reports_the_most_lasting_reason() -> None:
    both = account("both", needs_reauth=True, cooldown_until=NOW + HOUR)
    cooling = account("cooling", cooldown_until=NOW + HOUR)
    plain = account("plain")
    assert availability(both, NOW, frozenset({both.key})) == "needs_reauth"
    assert availability(cooling, NOW, frozenset({cooling.key})) == "cooldown"
    assert availability(plain, NOW, frozenset({plain.key})) == "excluded"
    assert availability(plain, NOW) == "available"


def test_excluded_accounts_are_not_chosen() -> None:
    fresh = account("fresh", snapshot(0, 0))
    other = account("other", snapshot(50, 50))
    sel = choose([fresh, other], excluded={fresh.key})
    assert sel.key == key("other")
    assert sel.skipped == [SkippedAccount(key=fresh.key, why="excluded")]
    assert "fresh@x already tried in this request" in sel.reason


# --- manual pin ---------------------------------------------------------------------------


def test_usable_pin_wins_over_better_accounts() -> None:
    fresh = account("fresh", snapshot(0, 0))
    pinned = account("pinned", snapshot(90, 90))
    sel = choose([fresh, pinned], pinned=pinned.key)
    assert sel.key == pinned.key
    assert sel.rule == "pinned"
    assert sel.reason == "pinned@x: pinned by you"
    assert not sel.clear_pin


@pytest.mark.parametrize(
    ("pinned_account", "expected_text"),
    [
        (account("pinned", needs_reauth=True), "pin on pinned@x cleared: needs re-auth"),
        (
            account("pinned", cooldown_until=NOW + 30 * 60),
            "pin on pinned@x cleared: on cooldown until 12:30 UTC",
        ),
    ],
)
def test_unusable_pin_is_cleared_and_auto_selection_runs(
    pinned_account: StoredAccount, expected_text: str
) -> None:
    other = account("other", snapshot(40, 40))
    sel = choose([pinned_account, other], pinned=pinned_account.key)
    assert sel.key == key("other")
    assert sel.rule == "lowest_usage"
    assert sel.clear_pin
    assert expected_text in sel.reason
    assert sel.reason.count("pinned@x") == 1


def test_pin_on_an_account_that_left_the_pool_is_cleared() -> None:
    sel = choose([account("other")], pinned="ghost|acct")
    assert sel.key == key("other")
    assert sel.clear_pin
    assert "ghost|acct" in sel.reason


def test_pin_tried_in_this_request_is_passed_over_but_kept() -> None:
    pinned = account("pinned", snapshot(0, 0))
    other = account("other", snapshot(50, 50))
    sel = choose([pinned, other], pinned=pinned.key, excluded={pinned.key})
    assert sel.key == key("other")
    assert not sel.clear_pin


# --- stickiness ---------------------------------------------------------------------------


def test_conversation_stays_on_its_healthy_account() -> None:
    fresh = account("fresh", snapshot(0, 0))
    current = account("current", snapshot(70, 70))
    sel = choose([fresh, current], affinity=current.key)
    assert sel.key == current.key
    assert sel.rule == "sticky"
    assert (
        sel.reason == "current@x: keeps this conversation on the account that served it (healthy)"
    )


def test_stickiness_off_ignores_the_conversation_account() -> None:
    fresh = account("fresh", snapshot(0, 0))
    current = account("current", snapshot(70, 70))
    sel = choose([fresh, current], affinity=current.key, sticky=False)
    assert sel.key == fresh.key
    assert sel.rule == "untouched"


def test_conversation_moves_off_an_exhausted_account() -> None:
    current = account("current", snapshot(100, 70, five_reset=NOW + HOUR))
    other = account("other", snapshot(20, 20))
    sel = choose([current, other], affinity=current.key)
    assert sel.key == other.key
    assert "moved this conversation off current@x: 5h at 100%" in sel.reason


def test_conversation_moves_off_an_account_on_cooldown() -> None:
    current = account("current", snapshot(10, 10), cooldown_until=NOW + HOUR)
    other = account("other", snapshot(20, 20))
    sel = choose([current, other], affinity=current.key)
    assert sel.key == other.key
    assert "current@x on cooldown" in sel.reason


def test_pin_beats_stickiness() -> None:
    current = account("current", snapshot(10, 10))
    pinned = account("pinned", snapshot(60, 60))
    sel = choose([current, pinned], affinity=current.key, pinned=pinned.key)
    assert sel.key == pinned.key


# --- nothing available --------------------------------------------------------------------


def test_nothing_available_reports_the_earliest_cooldown_end() -> None:
    pool = [
        account("late", cooldown_until=NOW + 3 * HOUR),
        account("reauth", needs_reauth=True, cooldown_until=NOW + 10),
        account("soon", cooldown_until=NOW + HOUR),
    ]
    sel = choose(pool)
    assert sel.key is None
    assert sel.rule == "none"
    assert sel.earliest_reset == NOW + HOUR
    assert sel.reason.startswith("no account available (earliest back at 13:00 UTC)")
    assert "reauth@x needs re-auth" in sel.reason


def test_empty_pool() -> None:
    sel = choose([])
    assert sel.key is None
    assert sel.earliest_reset is None
    assert sel.reason == "no accounts in the pool"


def test_selection_survives_json() -> None:
    sel = choose([account("a", cooldown_until=NOW + HOUR), account("b")])
    assert Selection.model_validate_json(sel.model_dump_json()) == sel


# --- other strategies ---------------------------------------------------------------------


def test_strategies_are_listed_with_descriptions() -> None:
    assert {"default", "drain-first", "reset-first"} <= set(STRATEGIES)
    assert all(description for description in STRATEGIES.values())
    for name in STRATEGIES:
        assert get_strategy(name).name == name


def test_an_unknown_strategy_is_the_default_said_once(caplog: pytest.LogCaptureFixture) -> None:
    assert get_strategy("round-robin-from-the-future").name == "default"
    assert get_strategy("round-robin-from-the-future").name == "default"
    said = [r for r in caplog.records if "round-robin-from-the-future" in r.getMessage()]
    assert len(said) == 1
    assert "drain-first" in said[0].getMessage()


def test_drain_first_uses_the_most_used_account_with_headroom() -> None:
    pool = [
        account("fresh", snapshot(0, 0)),
        account("light", snapshot(10, 10)),
        account("heavy", snapshot(80, 30, weekly_reset=NOW + DAY)),
        account("full", snapshot(100, 50, five_reset=NOW + HOUR)),
    ]
    sel = choose(pool, "drain-first")
    assert sel.key == key("heavy")
    assert sel.rule == "most_used"
    assert "heavy@x" in sel.reason
    assert sel.strategy == "drain-first"


def test_drain_first_prefers_known_headroom_over_unknown_and_unknown_over_full() -> None:
    unknown = account("unknown")
    fresh = account("fresh", snapshot(0, 0))
    full = account("full", snapshot(100, 100, weekly_reset=NOW + DAY))
    assert choose([unknown, fresh, full], "drain-first").key == key("fresh")
    assert choose([full, unknown], "drain-first").key == key("unknown")


def test_reset_first_spends_quota_that_expires_soonest() -> None:
    pool = [
        account("light", snapshot(5, 5, weekly_reset=NOW + 5 * DAY)),
        account("expiring", snapshot(60, 60, weekly_reset=NOW + DAY)),
        account("full", snapshot(30, 100, weekly_reset=NOW + HOUR)),
    ]
    sel = choose(pool, "reset-first")
    assert sel.key == key("expiring")
    assert sel.rule == "soonest_reset"
    assert "expiring@x: weekly window resets soonest" in sel.reason


def test_reset_first_without_reset_times_falls_back_to_lowest_usage() -> None:
    pool = [account("heavy", snapshot(60, 60)), account("light", snapshot(20, 20))]
    sel = choose(pool, "reset-first")
    assert sel.key == key("light")
    assert sel.rule == "lowest_usage"


@pytest.mark.parametrize("strategy", ["drain-first", "reset-first"])
def test_every_strategy_honours_pin_and_stickiness(strategy: str) -> None:
    a = account("a", snapshot(0, 0))
    b = account("b", snapshot(50, 50, weekly_reset=NOW + DAY))
    c = account("c", snapshot(20, 20, weekly_reset=NOW + 2 * DAY))
    assert choose([a, b, c], strategy, pinned=c.key).rule == "pinned"
    assert choose([a, b, c], strategy, affinity=a.key).key == a.key


# --- properties over arbitrary pools -------------------------------------------------------

offsets = st.floats(min_value=-8 * DAY, max_value=8 * DAY, allow_nan=False)
windows = st.one_of(
    st.none(),
    st.builds(
        UsageWindow,
        used_percent=st.floats(min_value=-5, max_value=130, allow_nan=False),
        resets_at=st.one_of(st.none(), offsets.map(lambda o: NOW + o)),
    ),
)
snapshots = st.one_of(
    st.none(), st.builds(UsageSnapshot, five_hour=windows, weekly=windows, fetched_at=st.just(NOW))
)


@st.composite
def requests(draw: st.DrawFn) -> SelectionRequest:
    size = draw(st.integers(min_value=0, max_value=7))
    accounts = [
        StoredAccount(
            key=f"k{i}",
            email=draw(st.one_of(st.none(), st.just(f"user{i}@x"))),
            tokens=TokenSet(access_token="a", refresh_token="r", expires_at=NOW),
            needs_reauth=draw(st.booleans()),
            cooldown_until=draw(st.one_of(st.none(), offsets.map(lambda o: NOW + o))),
            usage=draw(snapshots),
            added_at=NOW,
        )
        for i in range(size)
    ]
    keys = [a.key for a in accounts]
    some_key = st.one_of(st.none(), st.just("ghost"), *(st.just(k) for k in keys))
    return SelectionRequest(
        accounts=accounts,
        now=NOW,
        excluded=frozenset(draw(st.sets(st.sampled_from(keys))) if keys else ()),
        pinned=draw(some_key),
        affinity=draw(some_key),
        sticky=draw(st.booleans()),
    )


def exhausted(account: StoredAccount) -> bool:
    usage = account.usage
    if usage is None:
        return False
    return any(
        w is not None and w.used_percent >= 100 and (w.resets_at is None or w.resets_at > NOW)
        for w in (usage.five_hour, usage.weekly)
    )


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
@settings(max_examples=300, deadline=None)
@given(request=requests())
def test_strategy_picks_an_available_account_whenever_one_exists(
    strategy: str, request: SelectionRequest
) -> None:
    sel = get_strategy(strategy).choose(request)
    state = {a.key: availability(a, NOW, request.excluded) for a in request.accounts}
    available = [k for k, s in state.items() if s == "available"]

    assert [s.key for s in sel.skipped] == [k for k, s in state.items() if s != "available"]
    if not available:
        cooldown_ends = [
            a.cooldown_until
            for a in request.accounts
            if state[a.key] == "cooldown" and a.cooldown_until is not None
        ]
        assert sel.key is None
        assert sel.rule == "none"
        assert sel.earliest_reset == (min(cooldown_ends) if cooldown_ends else None)
        return
    assert sel.key in available
    assert get_strategy(strategy).choose(request) == sel
    if request.pinned is not None:
        pin_state = state.get(request.pinned)
        assert sel.clear_pin == (pin_state in (None, "needs_reauth", "cooldown"))
        if pin_state == "available":
            assert (sel.key, sel.rule) == (request.pinned, "pinned")
            return
    by_key = {a.key: a for a in request.accounts}
    affinity = request.affinity
    if request.sticky and affinity in available and not exhausted(by_key[affinity]):
        assert (sel.key, sel.rule) == (affinity, "sticky")
        return
    if any(not exhausted(by_key[k]) for k in available):
        assert not exhausted(by_key[sel.key])


@pytest.mark.parametrize("strategy", ["default", "drain-first", "reset-first"])
def test_without_any_usage_data_requests_spread_over_the_pool(strategy: str) -> None:
    """Nothing is known yet: the account used least recently goes first, so requests do
    not all land on the first account."""
    used = account("used").model_copy(update={"last_used_at": NOW - 60})
    older = account("older").model_copy(update={"last_used_at": NOW - 3600})
    never = account("never")

    assert choose([used, older, never], strategy).key == never.key
    assert choose([used, older], strategy).key == older.key
    assert choose([used, older], strategy).why == "no usage data yet, used least recently"


# --- windows named by their length --------------------------------------------------------

MONTH = 30 * DAY


def team_snapshot(short: float, long: float, *, long_reset: float) -> UsageSnapshot:
    """A Team account: a 5 h window and a 30-day one."""
    return UsageSnapshot(
        five_hour=UsageWindow(used_percent=short, window_seconds=5 * 3600),
        weekly=UsageWindow(used_percent=long, window_seconds=int(MONTH), resets_at=long_reset),
        plan_type="team",
        fetched_at=NOW - 60,
    )


def test_a_team_accounts_reason_names_its_30_day_window() -> None:
    tuesday_0900 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC).timestamp()
    team = account("team", team_snapshot(10, 40, long_reset=tuesday_0900))
    busy = account("busy", snapshot(60, 60))
    sel = choose([busy, team])
    assert sel.reason == (
        "team@x: lowest usage: 40% of its 30-day window used (30-day resets Tue 09:00 UTC)"
    )
    assert "weekly" not in sel.reason


def test_a_team_account_left_at_its_limit_says_30_day() -> None:
    team = account("team", team_snapshot(20, 100, long_reset=NOW + 9 * DAY))
    other = account("other", snapshot(20, 20))
    sel = choose([team, other], affinity=team.key)
    assert "moved this conversation off team@x: 30-day at 100%" in sel.reason


def test_reset_first_names_the_team_accounts_30_day_window() -> None:
    team = account("team", team_snapshot(10, 50, long_reset=NOW + DAY))
    later = account("later", snapshot(5, 5, weekly_reset=NOW + 5 * DAY))
    sel = choose([later, team], "reset-first")
    assert sel.key == team.key
    assert "team@x: 30-day window resets soonest" in sel.reason


# --- model-aware selection ------------------------------------------------------------------

SPARK = "gpt-5.3-codex-spark"
SPARK_NAME = "GPT-5.3 Codex Spark"
VERSION = "0.171.0"


def on_plan(base: StoredAccount, plan: str, **changes: object) -> StoredAccount:
    return base.model_copy(update={"plan": plan, **changes})


def choose_model(accounts: list[StoredAccount], **kwargs: object) -> Selection:
    return choose(
        accounts,
        model=SPARK,
        model_name=SPARK_NAME,
        client_version=VERSION,
        plan_models={"pro": frozenset({SPARK, "gpt-5.5"}), "plus": frozenset({"gpt-5.5"})},
        **kwargs,
    )


def test_a_model_missing_from_the_plans_list_excludes_the_account() -> None:
    plus = on_plan(account("plus", snapshot(0, 0)), "plus")
    pro = on_plan(account("pro", snapshot(50, 50)), "pro")
    sel = choose_model([plus, pro])
    assert sel.key == pro.key
    assert sel.skipped == [
        SkippedAccount(
            key=plus.key,
            why="model",
            model_only=True,
            detail=f"{SPARK_NAME} is not in the plus plan",
        )
    ]
    assert f"plus@x: {SPARK_NAME} is not in the plus plan" in sel.reason


def test_the_same_account_serves_a_model_its_plan_lists() -> None:
    plus = on_plan(account("plus", snapshot(0, 0)), "plus")
    pro = on_plan(account("pro", snapshot(50, 50)), "pro")
    sel = choose([plus, pro], model="gpt-5.5", plan_models={"plus": frozenset({"gpt-5.5"})})
    assert sel.key == plus.key
    assert sel.skipped == []


def test_a_version_gate_excludes_the_account_for_that_model_only() -> None:
    gate = ModelGate(
        reason="version",
        detail="The model requires a newer version of Codex.",
        at=NOW - HOUR,
        minimal_client_version="0.172.0",
        client_version=VERSION,
    )
    gated = on_plan(account("gated", snapshot(0, 0)), "pro", model_gates={SPARK: gate})
    other = on_plan(account("other", snapshot(50, 50)), "pro")
    sel = choose_model([gated, other])
    assert sel.key == other.key
    [skip] = sel.skipped
    assert (skip.key, skip.why, skip.model_only) == (gated.key, "model", True)
    assert skip.detail == f"{SPARK_NAME} needs Codex 0.172.0 or newer (MultiCodex sends {VERSION})"
    assert choose([gated, other], model="gpt-5.5").key == gated.key


def test_a_version_gate_for_another_client_version_is_over() -> None:
    gate = ModelGate(reason="version", detail="newer", at=NOW - HOUR, client_version="0.169.1")
    gated = on_plan(account("gated", snapshot(0, 0)), "pro", model_gates={SPARK: gate})
    other = on_plan(account("other", snapshot(50, 50)), "pro")
    assert choose_model([gated, other]).key == gated.key


def test_a_spark_cooldown_excludes_only_spark() -> None:
    cooling = BucketCooldown(until=NOW + 2 * HOUR + 300, reason="Spark limit reached")
    spent = on_plan(
        account("spent", snapshot(0, 0)), "pro", bucket_cooldowns={SPARK_BUCKET: cooling}
    )
    other = on_plan(account("other", snapshot(50, 50)), "pro")

    spark = choose_model([spent, other])
    assert spark.key == other.key
    assert spark.skipped == [
        SkippedAccount(
            key=spent.key,
            why="cooldown",
            until=NOW + 2 * HOUR + 300,
            model_only=True,
            detail="Spark limit until 14:05 UTC",
        )
    ]
    assert "spent@x: Spark limit until 14:05 UTC" in spark.reason

    general = choose([spent, other], model="gpt-5.5")
    assert general.key == spent.key
    assert general.skipped == []


def test_a_pin_that_cannot_serve_the_model_is_passed_over_but_kept() -> None:
    plus = on_plan(account("plus", snapshot(0, 0)), "plus")
    pro = on_plan(account("pro", snapshot(50, 50)), "pro")
    sel = choose_model([plus, pro], pinned=plus.key)
    assert sel.key == pro.key
    assert not sel.clear_pin
    assert f"pin on plus@x passed over: {SPARK_NAME} is not in the plus plan" in sel.reason


def test_no_account_for_the_model_says_why_each_was_passed_over() -> None:
    plus = on_plan(account("plus", snapshot(0, 0)), "plus")
    cooling = BucketCooldown(until=NOW + HOUR, reason="Spark limit reached")
    pro = on_plan(account("pro", snapshot(0, 0)), "pro", bucket_cooldowns={SPARK_BUCKET: cooling})
    sel = choose_model([plus, pro])
    assert sel.key is None
    assert sel.earliest_reset == NOW + HOUR
    assert f"plus@x: {SPARK_NAME} is not in the plus plan" in sel.reason
    assert "pro@x: Spark limit until 13:00 UTC" in sel.reason
