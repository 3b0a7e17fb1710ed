"""The footer and the account status lines, formatted once for every client.

Pure: ``now`` is always a parameter. One function, ``format_footer``, decides what the
footer says in every state of the pool (no accounts, every account exhausted, only a new
login would help, loading, serving); the server pushes it, the editor shows it and
``multicodex status`` prints it.

Every number says what it is, in the same words everywhere: a window's name, its
percentage followed by the user's ``usage_mode`` (``5h 88% left``, ``weekly 40% used``)
and its countdown (``↺2h10m``). Percentages are read as of now (a window whose reset has
passed shows no use), the same way selection reads them.

A ``FooterLine``'s ``text`` is always the concatenation of its segments' texts, spaces
and separators included, so a client may render either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeAliasType

from multicodex.headroom import (
    HasWindows,
    NamedWindow,
    binding_window,
    named_windows,
    upcoming_reset,
    used_now,
)
from multicodex.model import FooterSettings, UsageMode, UsageSnapshot
from multicodex.timefmt import countdown, round_half_up

Severity = TypeAliasType("Severity", Literal["success", "info", "warning", "error", "dim"])
SegmentRole = TypeAliasType(
    "SegmentRole", Literal["brand", "separator", "account", "usage", "state", "muted", "dim"]
)
"""brand/separator/muted/dim: fixed de-emphasised styles; account: normal text;
usage and state: coloured by the segment's severity."""
FooterState = TypeAliasType(
    "FooterState", Literal["serving", "loading", "no_accounts", "exhausted", "needs_reauth"]
)

BRAND = "Codex"
SEPARATOR = " · "
SPACE = " "
LOADING = "loading..."
STALE_MARKER = " (stale)"
WORKSPACE_MARK = " (workspace)"
"""After the account's name when it is this window's own account."""
UNKNOWN = "unknown"
RESET_MARK = "↺"
NO_ACCOUNTS = "no accounts"
ADD_ONE = "add one (multicodex login)"
ALL_EXHAUSTED = "all accounts exhausted"
ALL_EXHAUSTED_COMPACT = "all exhausted"
COMPACT_NAME_MAX = 10
USAGE_SEPARATOR = " · "
"""Between the windows of a status line."""
STATUS_SEPARATOR = " - "
"""Between an account's name and tags and its usage, in a status line."""

_SEVERITY_RANK: dict[Severity, int] = {"success": 0, "info": 1, "warning": 2, "error": 3}


class FooterSegment(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    role: SegmentRole
    severity: Severity | None = None
    """Set on usage and state segments."""


class FooterLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    segments: list[FooterSegment]
    severity: Severity
    """The worst usage tier while serving; the state's tier otherwise."""
    state: FooterState


@dataclass(frozen=True)
class PoolFacts:
    """What the footer is decided from: the pool as it stands now."""

    accounts: int
    active_name: str | None = None
    """The account the next request would use."""
    active_is_workspace: bool = False
    """It is this window's own account (shown as ``alice (workspace)``)."""
    active_usage: UsageSnapshot | None = None
    active_stale: bool = False
    waiting: int = 0
    """Accounts that need no new login but are cooling down or at a limit."""
    next_reset: float | None = None
    """The first known moment one of the waiting accounts can serve again."""
    needs_reauth: Sequence[str] = ()
    """Names of the accounts that need a new login."""

    @property
    def blocked(self) -> bool:
        """No account has room: each is waiting for a reset or needs a new login."""
        return self.waiting + len(self.needs_reauth) >= self.accounts


def footer_state(facts: PoolFacts) -> FooterState:
    if facts.accounts == 0:
        return "no_accounts"
    if facts.blocked or facts.active_name is None:
        return "exhausted" if facts.waiting else "needs_reauth"
    return "loading" if facts.active_usage is None else "serving"


def format_footer(facts: PoolFacts, settings: FooterSettings, now: float) -> FooterLine:
    """The footer, e.g. ``Codex · a@x.com · 5h 75% left ↺2h13m · weekly 40% left``
    (compact: ``Codex a 5h 75% left ↺2h13m``)."""
    state = footer_state(facts)
    if state == "no_accounts":
        return _no_accounts(settings)
    if state == "needs_reauth":
        return _needs_reauth(facts, settings)
    if state == "exhausted":
        return _with_reauth(_exhausted(facts, settings, now), facts, settings)
    if state == "loading":
        return _with_reauth(_loading(facts, settings), facts, settings)
    return _with_reauth(_serving(facts, settings, now), facts, settings)


def severity_for(display_percent: float | None, usage_mode: UsageMode) -> Severity:
    """Colour tier of a window, decided on the unrounded displayed percentage.

    ``left``: ≤10 error, ≤25 warning, ≤50 info, else success; ``used`` mirrors it with
    ≥90, ≥75, ≥50. Unknown is ``dim``.
    """
    if display_percent is None:
        return "dim"
    if usage_mode == "left":
        return _tier(display_percent <= 10, display_percent <= 25, display_percent <= 50)
    return _tier(display_percent >= 90, display_percent >= 75, display_percent >= 50)


def percent_phrase(named: NamedWindow, usage_mode: UsageMode, now: float) -> str:
    """``88% left``, ``12% used`` or ``unknown``."""
    display = _display_percent(named, usage_mode, now)
    return UNKNOWN if display is None else f"{round_half_up(display)}% {usage_mode}"


def window_phrase(
    named: NamedWindow, usage_mode: UsageMode, now: float, *, with_countdown: bool
) -> str:
    """``5h 88% left ↺2h10m``: the window's name, its percentage and, when asked and
    known, the time until it resets."""
    text = f"{named.name} {percent_phrase(named, usage_mode, now)}"
    reset = upcoming_reset(named.window, now)
    if with_countdown and reset is not None:
        text += f" {RESET_MARK}{countdown(reset - now)}"
    return text


def format_usage_line(
    usage: HasWindows | None, usage_mode: UsageMode, now: float, *, label: str = ""
) -> str:
    """Both windows with their countdowns, e.g. ``5h 12% used ↺2h13m · weekly 40% used ↺3d0h``;
    each after ``label`` when given (a model's own limit: ``Spark 5h 36% left ↺2h13m``)."""
    head = f"{label} " if label else ""
    return USAGE_SEPARATOR.join(
        head + window_phrase(named, usage_mode, now, with_countdown=True)
        for named in named_windows(usage)
    )


def format_status_line(
    account: str,
    usage: UsageSnapshot | None,
    tags: Sequence[str],
    usage_mode: UsageMode,
    now: float,
) -> str:
    """One account for listings, e.g.
    ``alice@x.com (active, untouched) - 5h 100% left ↺5h0m · weekly 100% left ↺7d0h``."""
    head = f"{account} ({', '.join(tags)})" if tags else account
    return f"{head}{STATUS_SEPARATOR}{format_usage_line(usage, usage_mode, now)}"


def compact_name(name: str) -> str:
    """An email's local part, or the name, cut to a few characters."""
    short = name.split("@", 1)[0] if "@" in name else name
    return short if len(short) <= COMPACT_NAME_MAX else short[: COMPACT_NAME_MAX - 1].rstrip() + "…"


def reauth_phrase(names: Sequence[str]) -> str:
    return "1 needs re-auth" if len(names) == 1 else f"{len(names)} need re-auth"


# -- the states ------------------------------------------------------------------------------


def _no_accounts(settings: FooterSettings) -> FooterLine:
    segments = [_brand(), _gap(settings), _state(NO_ACCOUNTS, "warning")]
    if not settings.compact:
        segments += [_separator(), _state(ADD_ONE, "warning")]
    return _line(segments, "warning", "no_accounts")


def _needs_reauth(facts: PoolFacts, settings: FooterSettings) -> FooterLine:
    names = list(facts.needs_reauth)
    if settings.compact:
        text = f"re-auth {compact_name(names[0])}" if len(names) == 1 else reauth_phrase(names)
    else:
        text = (
            f"{names[0]} needs re-auth"
            if len(names) == 1
            else f"{len(names)} accounts need re-auth"
        )
    return _line([_brand(), _gap(settings), _state(text, "error")], "error", "needs_reauth")


def _exhausted(facts: PoolFacts, settings: FooterSettings, now: float) -> FooterLine:
    reset = facts.next_reset
    if settings.compact:
        text = ALL_EXHAUSTED_COMPACT
        if reset is not None:
            text += f" {RESET_MARK}{countdown(reset - now)}"
        return _line([_brand(), _space(), _state(text, "error")], "error", "exhausted")
    segments = [_brand(), _separator(), _state(ALL_EXHAUSTED, "error")]
    if reset is not None:
        segments += [_separator(), _state(f"next reset in {countdown(reset - now)}", "error")]
    return _line(segments, "error", "exhausted")


def _loading(facts: PoolFacts, settings: FooterSettings) -> FooterLine:
    segments = [_brand(), _space()]
    if settings.show_account and facts.active_name is not None:
        segments += [_account(facts, settings), _space()]
    segments.append(FooterSegment(text=LOADING, role="muted"))
    return _line(segments, "dim", "loading")


def _serving(facts: PoolFacts, settings: FooterSettings, now: float) -> FooterLine:
    usage = facts.active_usage
    binding = binding_window(usage, now)
    every_window = [_usage_segment(w, settings, now, binding) for w in named_windows(usage)]
    shown = every_window
    if settings.compact:
        shown = [_compact_usage(binding, settings, now)]
    fields: list[FooterSegment] = list(shown)
    if settings.show_account and facts.active_name is not None:
        account = _account(facts, settings)
        fields = [account, *fields] if settings.order == "account-first" else [*fields, account]
    segments = [_brand()]
    for field in fields:
        segments += [_gap(settings), field]
    if facts.active_stale:
        segments.append(FooterSegment(text=STALE_MARKER, role="muted"))
    return _line(segments, _worst([s.severity for s in every_window]), "serving")


def _with_reauth(line: FooterLine, facts: PoolFacts, settings: FooterSettings) -> FooterLine:
    """The accounts that need a new login, said after the rest (the full footer only)."""
    if settings.compact or not facts.needs_reauth:
        return line
    extra = [_separator(), _state(reauth_phrase(facts.needs_reauth), "warning")]
    return _line([*line.segments, *extra], line.severity, line.state)


# -- pieces --------------------------------------------------------------------------------


def _usage_segment(
    named: NamedWindow, settings: FooterSettings, now: float, binding: NamedWindow | None
) -> FooterSegment:
    shows = settings.show_reset and _counts_down(named, settings, binding)
    return FooterSegment(
        text=window_phrase(named, settings.usage_mode, now, with_countdown=shows),
        role="usage",
        severity=severity_for(
            _display_percent(named, settings.usage_mode, now), settings.usage_mode
        ),
    )


def _compact_usage(
    binding: NamedWindow | None, settings: FooterSettings, now: float
) -> FooterSegment:
    if binding is None:
        return FooterSegment(text=f"usage {UNKNOWN}", role="usage", severity="dim")
    return _usage_segment(
        binding, settings.model_copy(update={"reset_window": "binding"}), now, binding
    )


def _counts_down(named: NamedWindow, settings: FooterSettings, binding: NamedWindow | None) -> bool:
    chosen = settings.reset_window
    if chosen == "binding":
        return binding is not None and binding.slot == named.slot
    if chosen == "both":
        return True
    # The stored settings name the slots by their usual lengths: "7d" is the long window,
    # whatever its length (a Team account's is 30 days).
    return (chosen, named.slot) in (("5h", "short"), ("7d", "long"))


def _display_percent(named: NamedWindow, usage_mode: UsageMode, now: float) -> float | None:
    used = used_now(named.window, now)
    if used is None:
        return None
    return used if usage_mode == "used" else 100.0 - used


def _tier(error: bool, warning: bool, info: bool) -> Severity:
    if error:
        return "error"
    if warning:
        return "warning"
    if info:
        return "info"
    return "success"


def _worst(severities: Sequence[Severity | None]) -> Severity:
    known = [s for s in severities if s is not None and s in _SEVERITY_RANK]
    return max(known, key=_SEVERITY_RANK.__getitem__) if known else "dim"


def _line(segments: list[FooterSegment], severity: Severity, state: FooterState) -> FooterLine:
    return FooterLine(
        text="".join(s.text for s in segments), segments=segments, severity=severity, state=state
    )


def _account(facts: PoolFacts, settings: FooterSettings) -> FooterSegment:
    name = facts.active_name or ""
    text = compact_name(name) if settings.compact else name
    if facts.active_is_workspace:
        text += WORKSPACE_MARK
    return FooterSegment(text=text, role="account")


def _state(text: str, severity: Severity) -> FooterSegment:
    return FooterSegment(text=text, role="state", severity=severity)


def _brand() -> FooterSegment:
    return FooterSegment(text=BRAND, role="brand")


def _separator() -> FooterSegment:
    return FooterSegment(text=SEPARATOR, role="separator")


def _space() -> FooterSegment:
    return FooterSegment(text=SPACE, role="separator")


def _gap(settings: FooterSettings) -> FooterSegment:
    """Between the fields: `` · `` in the full footer, a space in the compact one."""
    return _space() if settings.compact else _separator()
